"""Reads for the coordinator's pages: querysets with their joins already applied.

Every lookup of a surrogate (and of the rows hanging off one) goes through
`surrogates_visible_to(membership)`, so "not in your organization", "not yours to see" and
"does not exist" all look the same: Http404.
"""
import re
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404

from surrogates.models import Note, Stage, StatusChange, StatusChangeRequest, Surrogate, Task
from tenants import permissions as perms
from tenants.models import ActivityEvent, Membership, User
from tenants.pii import email_hash, normalize_phone, phone_hash

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
ACTIVITY_LIMIT = 50

# Public sort key -> ORDER BY columns. Only these; anything else falls back to the default.
SORTS = {
    "number": ("number",),
    "-number": ("-number",),
    "name": ("full_name", "id"),
    "-name": ("-full_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "stage_changed": ("stage_changed_at", "id"),
    "-stage_changed": ("-stage_changed_at", "-id"),
}
DEFAULT_SORT = "-created"

ARCHIVED_ACTIVE, ARCHIVED_ONLY, ARCHIVED_ALL = "", "archived", "all"

_NUMBER_RE = re.compile(r"^[sS](\d{1,9})$")
_PHONE_RE = re.compile(r"^\+?[\d\s().\-]+$")


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


# --- List page --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurrogateFilters:
    stage: Stage | None = None
    owner: str = ""  # "", "me", "none", a user id (as a string) or "q<queue public id>"
    source: str = ""
    priority: str = ""
    archived: str = ARCHIVED_ACTIVE
    q: str = ""
    sort: str = DEFAULT_SORT


def _search(queryset, q: str):
    q = (q or "").strip()
    if not q:
        return queryset
    if "@" in q:
        return queryset.filter(email_hash=email_hash(q))
    number = _NUMBER_RE.match(q)
    if number:
        return queryset.filter(number=int(number.group(1)))
    if _PHONE_RE.match(q) and len(normalize_phone(q).lstrip("+")) >= 7:
        return queryset.filter(phone_hash=phone_hash(q))
    return queryset.filter(full_name__icontains=q)


def surrogate_list(*, membership: Membership, filters: SurrogateFilters):
    """The list page's rows: filtered, searched, sorted, with stage and owner joined in."""
    queryset = surrogates_visible_to(membership)
    if filters.archived == ARCHIVED_ONLY:
        queryset = queryset.filter(archived_at__isnull=False)
    elif filters.archived != ARCHIVED_ALL:
        queryset = queryset.filter(archived_at__isnull=True)
    if filters.stage is not None:
        queryset = queryset.filter(stage=filters.stage)
    if filters.owner == "me":
        queryset = queryset.filter(owner_id=membership.user_id)
    elif filters.owner == "none":
        queryset = queryset.filter(owner__isnull=True)
    elif filters.owner.startswith("q"):
        queryset = queryset.filter(owner_queue__public_id=filters.owner[1:])
    elif filters.owner:
        queryset = queryset.filter(owner_id=int(filters.owner))
    if filters.source:
        queryset = queryset.filter(source=filters.source)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    queryset = _search(queryset, filters.q)
    order = SORTS.get(filters.sort, SORTS[DEFAULT_SORT])
    return queryset.select_related("stage", "owner", "owner_queue").order_by(*order)


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


def surrogate_history(surrogate: Surrogate):
    return StatusChange.objects.filter(
        organization_id=surrogate.organization_id, surrogate=surrogate
    ).select_related("from_stage", "to_stage", "requested_by", "approved_by")


def surrogate_pending_requests(surrogate: Surrogate):
    return StatusChangeRequest.objects.filter(
        organization_id=surrogate.organization_id, surrogate=surrogate, state=StatusChangeRequest.State.PENDING
    ).select_related("from_stage", "to_stage", "requested_by")


def surrogate_notes(surrogate: Surrogate):
    return Note.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "author"
    )


def surrogate_tasks(surrogate: Surrogate):
    return Task.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "created_by"
    )


def surrogate_activity(surrogate: Surrogate, limit: int = ACTIVITY_LIMIT):
    return ActivityEvent.objects.filter(
        organization_id=surrogate.organization_id,
        target_type=Surrogate._meta.label_lower,
        target_id=str(surrogate.public_id),
    ).select_related("actor")[:limit]


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
