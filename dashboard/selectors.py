"""The dashboard's reads: a fixed number of queries whatever the size of the organization."""
import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils import timezone

from matching.models import MatchApproval
from surrogates.models import Stage, StageType, StatusChangeRequest, Task
from surrogates.selectors import surrogates_visible_to
from tenants import permissions as perms
from tenants.models import Membership

SOON_DAYS = 7
LIST_LIMIT = 8
FUNNEL_WIDTH = 560
BAR_HEIGHT = 26
BAR_GAP = 6


@dataclass
class FunnelBar:
    stage: Stage
    count: int
    x: float
    y: int
    width: float
    text_y: int


def funnel(membership: Membership) -> dict:
    """Active surrogates per stage (two queries), laid out as a centred SVG funnel."""
    stages = list(Stage.objects.filter(organization_id=membership.organization_id, is_active=True).order_by("order"))
    counts = dict(
        surrogates_visible_to(membership)
        .filter(archived_at__isnull=True)
        .order_by()
        .values_list("stage_id")
        .annotate(n=Count("id"))
    )
    flow = [stage for stage in stages if stage.stage_type != StageType.TERMINAL]
    top = max([counts.get(stage.pk, 0) for stage in flow] + [1])
    bars = []
    for index, stage in enumerate(flow):
        count = counts.get(stage.pk, 0)
        width = max(FUNNEL_WIDTH * count / top, 4)
        y = index * (BAR_HEIGHT + BAR_GAP)
        bars.append(FunnelBar(stage, count, (FUNNEL_WIDTH - width) / 2 + 200, y, width, y + BAR_HEIGHT // 2 + 5))
    closed = [(stage, counts.get(stage.pk, 0)) for stage in stages if stage.stage_type == StageType.TERMINAL]
    return {
        "bars": bars,
        "closed": closed,
        "height": max(len(flow) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT),
        "total": sum(counts.get(stage.pk, 0) for stage in flow),
    }


def my_tasks(membership: Membership, today: datetime.date) -> dict:
    """Open tasks due within a week (or overdue) on records I own or tasks I created."""
    tasks = list(
        Task.objects.filter(
            organization_id=membership.organization_id,
            completed_at__isnull=True,
            due_date__lte=today + datetime.timedelta(days=SOON_DAYS),
            surrogate__archived_at__isnull=True,
        )
        .filter(Q(surrogate__owner_id=membership.user_id) | Q(created_by_id=membership.user_id))
        .filter(surrogate__in=surrogates_visible_to(membership))
        .select_related("surrogate")
        .order_by("due_date", "id")[: LIST_LIMIT * 3]
    )
    return {
        "overdue": [t for t in tasks if t.due_date < today][:LIST_LIMIT],
        "soon": [t for t in tasks if t.due_date >= today][:LIST_LIMIT],
    }


def pending_approvals(membership: Membership) -> dict | None:
    if not perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS):
        return None
    stage_requests = list(
        StatusChangeRequest.objects.filter(
            organization_id=membership.organization_id, state=StatusChangeRequest.State.PENDING
        )
        .select_related("surrogate", "from_stage", "to_stage")
        .order_by("requested_at", "id")[:LIST_LIMIT]
    )
    matching = list(
        MatchApproval.objects.filter(organization_id=membership.organization_id, state=MatchApproval.State.PENDING)
        .select_related("intended_parent", "match__surrogate")
        .order_by("requested_at", "id")[:LIST_LIMIT]
    )
    return {"stage_requests": stage_requests, "matching": matching, "count": len(stage_requests) + len(matching)}


def new_leads(membership: Membership, now: datetime.datetime) -> dict:
    tz = membership.organization.tzinfo
    today = timezone.localdate(now, tz)
    monday = today - datetime.timedelta(days=today.weekday())
    since = datetime.datetime.combine(monday, datetime.time(0), tzinfo=tz)
    queryset = surrogates_visible_to(membership).filter(created_at__gte=since, archived_at__isnull=True)
    leads = list(queryset.select_related("stage", "owner", "owner_queue").order_by("-created_at", "-id")[:LIST_LIMIT])
    return {"since": monday, "items": leads, "count": queryset.count()}
