"""Reads for the coordinator's pages: querysets with their joins already applied.

Every lookup of a surrogate (and of the rows hanging off one) goes through
`surrogates_visible_to(membership)`, so "not in your organization", "not yours to see" and
"does not exist" all look the same: Http404.
"""
import functools

from django.db import connection
from django.db.models import BooleanField, CharField, F, IntegerField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.http import Http404

from surrogates.models import Note, Stage, StatusChange, StatusChangeRequest, Surrogate, Task
from tenants import permissions as perms
from tenants.models import ActivityEvent, Membership, User

ACTIVITY_LIMIT = 50


# --- Visibility and access helpers ------------------------------------------------------------


def surrogates_visible_to(membership: Membership):
    """The surrogates this member may see: the whole organization, or only those they own."""
    queryset = Surrogate.objects.filter(organization_id=membership.organization_id)
    if not perms.has_perm(membership, perms.VIEW_ALL_SURROGATES):
        queryset = queryset.filter(owner_id=membership.user_id)
    return queryset


def get_surrogate_for_member(membership: Membership, public_id) -> Surrogate:
    """The one way a view resolves a surrogate from its URL: visible to this member, or 404."""
    surrogate = (
        surrogates_visible_to(membership).select_related("stage", "owner", "owner_queue").filter(public_id=public_id).first()
    )
    if surrogate is None:
        raise Http404("No such surrogate.")
    return surrogate


def get_task_for_member(membership: Membership, surrogate: Surrogate, task_id) -> Task:
    """A task of a surrogate already resolved through `get_surrogate_for_member`, or 404."""
    task = (
        Task.objects.filter(organization_id=membership.organization_id, surrogate=surrogate, public_id=task_id)
        .select_related("surrogate")
        .first()
    )
    if task is None:
        raise Http404("No such task.")
    return task


def status_requests_visible_to(membership: Membership):
    return StatusChangeRequest.objects.filter(
        organization_id=membership.organization_id,
        surrogate__in=surrogates_visible_to(membership),
    ).select_related("surrogate", "surrogate__stage", "from_stage", "to_stage", "requested_by", "decided_by")


def get_status_request_for_member(membership: Membership, public_id) -> StatusChangeRequest:
    """A status change request on a surrogate this member can see, or 404."""
    request = status_requests_visible_to(membership).filter(public_id=public_id).first()
    if request is None:
        raise Http404("No such request.")
    return request


def organization_members(membership: Membership):
    """Users with an active membership in this member's organization (owner choices)."""
    member_ids = Membership.objects.filter(organization_id=membership.organization_id, is_active=True).values(
        "user_id"
    )
    return User.objects.filter(pk__in=member_ids, is_active=True).order_by("full_name", "email")


def organization_queues(membership: Membership):
    from surrogates.models import Queue

    return Queue.objects.filter(organization_id=membership.organization_id).order_by("-system_key", "name")


def pipeline_stages(membership: Membership):
    return Stage.objects.filter(organization_id=membership.organization_id).order_by("order")


# --- Detail page ------------------------------------------------------------------------------

# Panels of the detail page that are often empty: reverse relation of Surrogate -> the flag set on
# the record by get_surrogate_detail_for_member. A panel whose flag is False shows its "none yet"
# state without querying; a record read any other way has no flag, and every panel queries.
DETAIL_PANELS = {
    "status_requests": "has_status_requests",
    "notes": "has_notes",
    "tasks": "has_tasks",
    "matches": "has_matches",
    "application_links": "has_application_links",
    "submissions": "has_submissions",
    "uploads": "has_uploads",
    "email_logs": "has_email_logs",
    "zoom_meetings": "has_zoom_meetings",
}


def panel_may_have_rows(surrogate: Surrogate, relation: str) -> bool:
    """False only when the record was read with its panel flags and this panel has no row."""
    return getattr(surrogate, DETAIL_PANELS[relation], True)


@functools.cache
def _panel_flags_sql() -> dict[str, str]:
    """flag -> EXISTS over that panel's rows of the outer record, written once per process.

    Raw SQL because building nine Exists() querysets costs ~7 ms of ORM work per request, which
    is more than the queries they save; PostgreSQL plans and runs the nine index probes in ~0.5 ms.
    Every probe also matches the record's organization.
    """
    qn = connection.ops.quote_name
    outer = qn(Surrogate._meta.db_table)
    related = {rel.name: rel for rel in Surrogate._meta.related_objects}
    flags = {}
    for relation, flag in DETAIL_PANELS.items():
        if relation in related:  # an app that is not installed has no panel
            model, column = related[relation].related_model, related[relation].field.column
            flags[flag] = (
                f"EXISTS (SELECT 1 FROM {qn(model._meta.db_table)} panel WHERE panel.{qn('organization_id')} = "
                f"{outer}.{qn('organization_id')} AND panel.{qn(column)} = {outer}.{qn('id')})"
            )
    return flags


def get_surrogate_detail_for_member(membership: Membership, public_id) -> Surrogate:
    """get_surrogate_for_member, plus one EXISTS per often-empty panel in the same statement
    (an index probe each), so the page skips the queries of the panels that have nothing."""
    flags = {flag: RawSQL(sql, (), output_field=BooleanField()) for flag, sql in _panel_flags_sql().items()}
    surrogate = (
        surrogates_visible_to(membership)
        .select_related("stage", "owner", "owner_queue")
        .filter(public_id=public_id)
        .annotate(**flags)
        .first()
    )
    if surrogate is None:
        raise Http404("No such surrogate.")
    return surrogate


def surrogate_history(surrogate: Surrogate):
    return StatusChange.objects.filter(
        organization_id=surrogate.organization_id, surrogate=surrogate
    ).select_related("from_stage", "to_stage", "requested_by", "approved_by")


def surrogate_pending_requests(surrogate: Surrogate) -> list:
    if not panel_may_have_rows(surrogate, "status_requests"):
        return []
    requests = list(
        StatusChangeRequest.objects.filter(
            organization_id=surrogate.organization_id, surrogate=surrogate, state=StatusChangeRequest.State.PENDING
        ).select_related("from_stage", "to_stage", "requested_by")
    )
    for request in requests:
        request.surrogate = surrogate  # the row template reads its current stage: no query per row
    return requests


def surrogate_notes(surrogate: Surrogate):
    if not panel_may_have_rows(surrogate, "notes"):
        return []
    return Note.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "author"
    )


def surrogate_tasks(surrogate: Surrogate):
    if not panel_may_have_rows(surrogate, "tasks"):
        return []
    return Task.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "created_by"
    )


def surrogate_activity(surrogate: Surrogate, limit: int = ACTIVITY_LIMIT):
    return ActivityEvent.objects.filter(
        organization_id=surrogate.organization_id,
        target_type=Surrogate._meta.label_lower,
        target_id=str(surrogate.public_id),
    ).select_related("actor")[:limit]


def read_options_once(field) -> bool:
    """Read a ModelChoiceField's options with one plain SELECT and keep them on the field, so its
    select renders from that list (ModelChoiceIterator would COUNT, then open a server-side cursor,
    and again for every "is there any" check). Same options, same order. True if there is one."""
    options = field.iterator(field)
    choices = [] if field.empty_label is None else [("", field.empty_label)]
    choices += [options.choice(obj) for obj in field.queryset]
    field.choices = choices
    return len(choices) > (0 if field.empty_label is None else 1)


def detail_options(membership: Membership, stage_field, *, with_members: bool) -> tuple[list, list]:
    """The detail page's selects in ONE statement (a UNION ALL): the stages of the status form's
    field (set on it as its choices, in its order), the members (if the assign select shows) and
    the queues (assign and release selects). Returns (members, queues) in the orders of
    organization_members and of Queue's Meta (name); three round trips and ORM reads become one.
    """
    from surrogates.models import Queue

    def tagged(queryset, kind, key, label, number):
        return queryset.order_by().annotate(
            d_kind=Value(kind, output_field=CharField()), d_id=F("id"), d_key=key, d_label=label, d_number=number
        ).values_list("d_kind", "d_id", "d_key", "d_label", "d_number")

    text, zero = CharField(), Value(0, output_field=IntegerField())
    org_id = membership.organization_id
    parts = []
    if stage_field is not None:
        parts.append(tagged(stage_field.queryset, "stage", F("key"), F("label"), F("order")))
    if with_members:
        member_ids = Membership.objects.filter(organization_id=org_id, is_active=True).values("user_id")
        parts.append(tagged(User.objects.filter(pk__in=member_ids, is_active=True), "user", F("email"), F("full_name"), zero))
    parts.append(tagged(Queue.objects.filter(organization_id=org_id), "queue", Cast("public_id", text), F("name"), zero))
    stages, members, queues = [], [], []
    # Sorted by the database (its collation, as the separate ORDER BYs were): stages by order,
    # members by (full name, email), queues by name.
    rows = parts[0].union(*parts[1:], all=True).order_by("d_number", "d_label", "d_key")
    for kind, pk, key, label, number in rows:
        if kind == "stage":
            stages.append(Stage(id=pk, organization_id=org_id, key=key, label=label, order=number))
        elif kind == "user":
            members.append(User(id=pk, email=key, full_name=label))
        else:
            queues.append(Queue(id=pk, organization_id=org_id, public_id=key, name=label))
    if stage_field is not None:
        options = stage_field.iterator(stage_field)
        empty = [] if stage_field.empty_label is None else [("", stage_field.empty_label)]
        stage_field.choices = empty + [options.choice(stage) for stage in stages]
    return members, queues


# --- Approvals page ---------------------------------------------------------------------------


def pending_requests_for(membership: Membership):
    """Pending requests this member acts on: every visible one for approvers, else their own."""
    queryset = status_requests_visible_to(membership).filter(state=StatusChangeRequest.State.PENDING)
    if not perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS):
        queryset = queryset.filter(requested_by_id=membership.user_id)
    return queryset.order_by("requested_at", "id")


def recent_decided_requests_for(membership: Membership, limit: int = 20):
    queryset = status_requests_visible_to(membership).exclude(state=StatusChangeRequest.State.PENDING)
    if not perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS):
        queryset = queryset.filter(requested_by_id=membership.user_id)
    return queryset.order_by("-decided_at", "-id")[:limit]
