"""Reads for the coordinator's surrogate list: filters, the name search, paging and the rows shown.

The list is the most visited page, at agency scale (300,000 records): every read here is shaped
by a measurement in bench/README.md. Visibility comes from `selectors.surrogates_visible_to`.
"""
import functools
import re
import uuid
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import BooleanField, F, Func, IntegerField, Subquery
from django.utils.functional import cached_property

from surrogates.models import Stage, Surrogate
from surrogates.selectors import surrogates_visible_to
from tenants import public_rows
from tenants.models import Membership, User
from tenants.pii import email_hash, normalize_phone, phone_hash
from tenants.scope import ScopeError, require_org


DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100

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


# The columns the list page shows (surrogates/templatetags/surrogate_rows.py), and nothing else:
# no contact details (150 Fernet decryptions per 50-row page), no owners' password hashes, no
# unused timestamps. Read as values: building a Surrogate, a Stage and an owner instance per row
# cost more than reading the rows (2.1 vs 1.2 ms of CPU for 50 rows, bench/README.md).
LIST_VALUES = (
    "id", "public_id", "number", "full_name", "stage_changed_at", "source", "priority", "archived_at", "created_at",
    "stage__label", "stage__stage_type", "owner_id", "owner__full_name", "owner__email", "owner_queue_id",
    "owner_queue__name",
)


@dataclass(frozen=True)
class SurrogateFilters:
    stage: Stage | None = None
    owner: str = ""  # "", "me", "none", a user id (as a string) or "q<queue public id>"
    source: str = ""
    priority: str = ""
    archived: str = ARCHIVED_ACTIVE
    q: str = ""
    sort: str = DEFAULT_SORT


class OrgNameContains(Func):
    """The name search: UPPER(organization_id::text || '|' || full_name) LIKE UPPER('<org>|%<q>%').

    Written exactly as migration 0009's index (surrogate_org_name_trgm) so PostgreSQL serves it
    from that index, which holds each agency's names apart: a search reads candidates from the
    agency's own records, not every agency's with the same name (another agency's row comes back
    only where its name holds this id as a word, e.g. "Unit 1", and the recheck drops it). The
    organization is a literal in the pattern (a column there would hide it from the index); the
    queryset is already scoped to that organization, so a mismatch could only ever find nothing.
    SQLite (dev) has no pg_trgm and runs the plain case-insensitive LIKE.
    """

    output_field = BooleanField()

    def __init__(self, organization_id: int, q: str):
        self.organization_id = int(organization_id)
        self.q = q
        super().__init__(F("organization_id"), F("full_name"))

    def as_sql(self, compiler, connection, **extra_context):
        name_sql, name_params = compiler.compile(self.get_source_expressions()[1])
        like_q = connection.ops.prep_for_like_query(self.q)  # escapes %, _ and \
        return f"{name_sql} LIKE %s ESCAPE '\\'", (*name_params, f"%{like_q}%")

    def as_postgresql(self, compiler, connection, **extra_context):
        (org_sql, org_params), (name_sql, name_params) = (
            compiler.compile(expr) for expr in self.get_source_expressions()
        )
        like_q = connection.ops.prep_for_like_query(self.q)
        return (
            f"UPPER({org_sql}::text || '|' || {name_sql}) LIKE UPPER(%s)",
            (*org_params, *name_params, f"{self.organization_id}|%{like_q}%"),
        )


def _search(queryset, q: str, *, organization_id: int):
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
    return queryset.filter(OrgNameContains(organization_id, q))


def _matching(*, membership: Membership, filters: SurrogateFilters):
    """The surrogates the list shows for these filters, in the list's order (not yet paged)."""
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
    queryset = _search(queryset, filters.q, organization_id=membership.organization_id)
    return queryset.order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))


def surrogate_list_page(*, membership: Membership, filters: SurrogateFilters, per_page: int, number):
    """One page of the list (LIST_VALUES rows) and its capped count.

    A search reads its matches' ids in order first, then the page's rows by id (RankedIdsPaginator):
    its matches have to be sorted anyway, so one pass over them serves both the count and the
    page, and only the page's rows (25 by default, 100 at most) are joined to their stage and
    owner. Without a search the index on the sort order hands over the page directly
    (CappedPaginator).
    """
    matching = _matching(membership=membership, filters=filters)
    if filters.q.strip():
        visible = surrogates_visible_to(membership)
        paginator = RankedIdsPaginator(
            matching, per_page, rows_for_ids=lambda ids: visible.filter(pk__in=ids).values(*LIST_VALUES)
        )
    else:
        paginator = CappedPaginator(matching.values(*LIST_VALUES), per_page)
    return paginator.get_page(number)


# How many matching rows the list page counts at most. An exact COUNT(*) over an agency's
# 300,000 records reads the whole index on every page view (the old system's mistake); past
# this many the page says "1,000+" and still offers Next while rows remain.
COUNT_CAP = 1000
# A search whose wanted page needs this many ids or more (the rows up to the page after it: from
# page 49 at 100 a page) pages with OFFSET like the plain list, rather than reading every id
# before the wanted page into Python.
RANKED_IDS_MAX = 5000


def _page_number(number) -> int:
    try:
        return max(1, int(number))
    except (TypeError, ValueError):
        return 1


def _cap_for(number: int, per_page: int) -> int:
    """Count far enough to know whether the page after `number` exists."""
    return max(COUNT_CAP, (number + 1) * per_page) if number < 10**6 else COUNT_CAP


class CappedCount(Subquery):
    """(SELECT COUNT(*) FROM (<queryset, at most cap+1 rows>)): uncorrelated, so evaluated once."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()


class CappedPaginator(Paginator):
    """Counts at most max(COUNT_CAP, rows up to the page after the wanted one) + 1 rows.

    get_page() reads the page's rows and the capped count in ONE query (the count rides along
    as a scalar subquery); only a page past the end costs a separate count.
    """

    def __init__(self, object_list, per_page, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = COUNT_CAP

    def _counting(self):
        return self.object_list.order_by().values("pk")[: self.cap + 1]

    @cached_property
    def count(self):
        return self._counting().count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def get_page(self, number):
        number = _page_number(number)
        self.cap = _cap_for(number, self.per_page)
        bottom = (number - 1) * self.per_page
        if number < 10**6:
            rows = list(self.object_list.annotate(capped_total=CappedCount(self._counting()))[
                bottom : bottom + self.per_page
            ])
            if rows:
                self.__dict__["count"] = rows[0]["capped_total"]  # rows are values (LIST_VALUES)
                return self._get_page(rows, number, self)
        return super().get_page(number)  # past the end: count, then the last page


class RankedIdsPaginator(CappedPaginator):
    """Pages a search: the matches' ids in order (at most cap+1) in one query, then the page's rows.

    object_list is the ordered queryset of matches; rows_for_ids(ids) reads the rows to show.
    Deep pages (past RANKED_IDS_MAX rows) fall back to CappedPaginator's OFFSET query over
    object_list.values(*LIST_VALUES).
    """

    def __init__(self, object_list, per_page, *, rows_for_ids, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.rows_for_ids = rows_for_ids
        self.ids = None

    def get_page(self, number):
        number = _page_number(number)
        self.cap = _cap_for(number, self.per_page)
        if self.cap >= RANKED_IDS_MAX:
            self.object_list = self.object_list.values(*LIST_VALUES)
            return super().get_page(number)
        self.ids = list(self.object_list.values_list("pk", flat=True)[: self.cap + 1])
        self.__dict__["count"] = len(self.ids)
        return Paginator.get_page(self, number)  # a page past the end becomes the last page

    def page(self, number):
        if self.ids is None:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        wanted = self.ids[bottom : bottom + self.per_page]
        by_id = {row["id"]: row for row in self.rows_for_ids(wanted)} if wanted else {}
        # A row gone between the two reads (deleted, or no longer visible) is left out, not an error.
        return self._get_page([by_id[pk] for pk in wanted if pk in by_id], number, self)


@dataclass(frozen=True, slots=True)
class ListStage:
    label: str
    stage_type: str


@dataclass(frozen=True, slots=True)
class ListOwner:
    display_name: str


@dataclass(frozen=True, slots=True)
class ListQueue:
    name: str


@dataclass(frozen=True, slots=True)
class ListRow:
    """One row of the list page with its strings made once in Python, not per cell in the template:
    the attributes the row markup reads, under the names a Surrogate has (pk, stage.label,
    owner.display_name, owner_queue.name, ...) plus list_url, list_source, list_priority,
    list_stage_changed and list_created."""

    pk: int
    public_id: object
    surrogate_number: str
    full_name: str
    archived_at: object
    priority: str
    stage: ListStage
    owner_id: int | None
    owner: ListOwner | None
    owner_queue_id: int | None
    owner_queue: ListQueue | None
    list_url: str
    list_source: str
    list_priority: str
    list_stage_changed: str
    list_created: str


def list_rows(values, *, tz) -> list[ListRow]:
    """The list page's rows (LIST_VALUES rows of surrogate_list_page) as ListRows.

    list_url is the detail page (reversed once, the UUID spliced in); list_source and
    list_priority are the choice labels; list_stage_changed and list_created are "M j, Y" in tz,
    as |date:"M j, Y" prints them inside {% timezone %}, with the date filter's own (translated)
    month abbreviations. About a third of the 50-row page's render time went to {% url %},
    get_*_display and |date per row.
    """
    from django.urls import reverse
    from django.utils import timezone as dj_timezone
    from django.utils.dates import MONTHS_3

    blank = str(uuid.UUID(int=0))
    head, tail = reverse("surrogates:detail", args=[blank]).split(blank)
    sources = {value: str(label) for value, label in Surrogate._meta.get_field("source").flatchoices}
    priorities = {value: str(label) for value, label in Surrogate._meta.get_field("priority").flatchoices}
    months = {number: str(name).title() for number, name in MONTHS_3.items()}

    def day(value):
        if value is None:
            return ""
        if dj_timezone.is_aware(value):
            value = dj_timezone.localtime(value, tz)
        return f"{months[value.month]} {value.day}, {value.year:04d}"

    return [
        ListRow(
            pk=v["id"],
            public_id=v["public_id"],
            surrogate_number=Surrogate.number_label(v["number"]),
            full_name=v["full_name"],
            archived_at=v["archived_at"],
            priority=v["priority"],
            stage=ListStage(v["stage__label"], v["stage__stage_type"]),
            owner_id=v["owner_id"],
            owner=None if v["owner_id"] is None else ListOwner(User.name_to_show(v["owner__full_name"], v["owner__email"])),
            owner_queue_id=v["owner_queue_id"],
            owner_queue=None if v["owner_queue_id"] is None else ListQueue(v["owner_queue__name"]),
            list_url=f"{head}{v['public_id']}{tail}",
            list_source=sources.get(v["source"], v["source"]),
            list_priority=priorities.get(v["priority"], v["priority"]),
            list_stage_changed=day(v["stage_changed_at"]),
            list_created=day(v["created_at"]),
        )
        for v in values
    ]


def list_filter_choices(membership: Membership):
    """(stages, owners, queues) for the list's filters, read in ONE plain statement (a UNION ALL).

    The list page runs on every visit; three small reads of configuration cost three round
    trips, and building their union through the ORM cost more Python (~2 ms) than the database
    spent on it, so the statement is written once from the models' metadata. Tenant rows are
    filtered by the organization in scope (ScopeError without one), like the tenant manager does.
    Same rows as pipeline_stages, organization_members, organization_queues, in their order
    (sorted here in Python, so names compare by code point, not by the database's collation).
    """
    from surrogates.models import Queue

    org_id = require_org().pk
    if org_id != membership.organization_id:
        raise ScopeError("list_filter_choices() for a membership outside the organization in scope.")
    stages, owners, queues = [], [], []
    with connection.cursor() as cursor:
        cursor.execute(_filter_choices_sql(), [org_id, org_id, org_id])
        for kind, pk, key, label, extra, number in cursor.fetchall():
            if kind == "stage":
                stages.append(public_rows.loaded(Stage, id=pk, organization_id=org_id, key=key, label=label, stage_type=extra,
                                      order=number))
            elif kind == "user":
                owners.append(public_rows.loaded(User, id=pk, email=key, full_name=label))
            else:  # the text form of a UUID differs by backend (hex on SQLite); UUID() reads both
                queues.append(public_rows.loaded(Queue, id=pk, organization_id=org_id, public_id=uuid.UUID(key), name=label,
                                      system_key=extra))
    stages.sort(key=lambda stage: stage.order)
    owners.sort(key=lambda user: (user.full_name, user.email))
    queues.sort(key=lambda queue: queue.name)
    queues.sort(key=lambda queue: queue.system_key, reverse=True)  # stable: system queues first
    return stages, owners, queues


@functools.cache
def _filter_choices_sql() -> str:
    from surrogates.models import Queue

    stage, user = public_rows.Part(Stage, "s", ()), public_rows.Part(User, "u", ())
    member, queue = public_rows.Part(Membership, "m", ()), public_rows.Part(Queue, "q", ())
    col, table = public_rows.column, public_rows.table
    return (
        f"SELECT 'stage', {col(stage, 'id')}, {col(stage, 'key')}, {col(stage, 'label')}, "
        f"{col(stage, 'stage_type')}, {col(stage, 'order')} FROM {table(stage)} "
        f"WHERE {col(stage, 'organization_id')} = %s "
        f"UNION ALL SELECT 'user', {col(user, 'id')}, {col(user, 'email')}, {col(user, 'full_name')}, '', 0 "
        f"FROM {table(user)} WHERE {col(user, 'is_active')} AND {col(user, 'id')} IN "
        f"(SELECT {col(member, 'user_id')} FROM {table(member)} "
        f"WHERE {col(member, 'organization_id')} = %s AND {col(member, 'is_active')}) "
        f"UNION ALL SELECT 'queue', {col(queue, 'id')}, CAST({col(queue, 'public_id')} AS TEXT), "
        f"{col(queue, 'name')}, {col(queue, 'system_key')}, 0 FROM {table(queue)} "
        f"WHERE {col(queue, 'organization_id')} = %s"
    )
