"""Reads for the matching pages, with their joins applied. Lookups by public id: 404 otherwise."""
import datetime
import re

from django.http import Http404

from matching.models import (
    IntendedParent,
    IntendedParentStatus,
    Match,
    MatchApproval,
    MatchEvent,
    MatchStatus,
)
from surrogates.models import Stage, StageType
from surrogates.selectors import surrogates_visible_to
from tenants import permissions as perms
from tenants.models import Membership
from tenants.pii import email_hash

_NUMBER_RE = re.compile(r"^[iI](\d{1,9})$")


def parents_for(membership: Membership, *, q: str = "", status: str = ""):
    queryset = IntendedParent.objects.filter(organization_id=membership.organization_id)
    if status in IntendedParentStatus.values:
        queryset = queryset.filter(status=status)
    q = (q or "").strip()
    if q:
        number = _NUMBER_RE.match(q)
        if "@" in q:
            queryset = queryset.filter(email_hash=email_hash(q))
        elif number:
            queryset = queryset.filter(number=int(number.group(1)))
        else:
            queryset = queryset.filter(full_name__icontains=q)
    return queryset.order_by("-created_at", "-id")


def get_parent_for_member(membership: Membership, public_id) -> IntendedParent:
    parent = IntendedParent.objects.filter(organization_id=membership.organization_id, public_id=public_id).first()
    if parent is None:
        raise Http404("No such intended parent.")
    return parent


def matches_visible_to(membership: Membership):
    return Match.objects.filter(
        organization_id=membership.organization_id, surrogate__in=surrogates_visible_to(membership)
    ).select_related("surrogate", "surrogate__stage", "intended_parent", "proposed_by", "decided_by")


def match_list(membership: Membership, *, status: str = ""):
    queryset = matches_visible_to(membership)
    if status in MatchStatus.values:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-proposed_at", "-id")


def get_match_for_member(membership: Membership, public_id) -> Match:
    match = matches_visible_to(membership).filter(public_id=public_id).first()
    if match is None:
        raise Http404("No such match.")
    return match


def get_event_for_member(membership: Membership, match: Match, event_id) -> MatchEvent:
    event = MatchEvent.objects.filter(
        organization_id=membership.organization_id, match=match, public_id=event_id
    ).select_related("match").first()
    if event is None:
        raise Http404("No such event.")
    return event


def match_events(match: Match):
    return MatchEvent.objects.filter(organization_id=match.organization_id, match=match).select_related("created_by")


def matches_for_parent(parent: IntendedParent, membership: Membership):
    return matches_visible_to(membership).filter(intended_parent=parent).order_by("-proposed_at", "-id")


def matches_for_surrogate(surrogate, membership: Membership):
    return (
        Match.objects.filter(organization_id=membership.organization_id, surrogate=surrogate)
        .select_related("intended_parent", "proposed_by")
        .order_by("-proposed_at", "-id")
    )


def proposable_surrogates(membership: Membership):
    """Active surrogates between approval and Matched, without an accepted match."""
    stages = Stage.objects.filter(organization_id=membership.organization_id)
    approved = stages.filter(key="approved").values_list("order", flat=True).first() or 0
    matched = stages.filter(key="matched").values_list("order", flat=True).first() or 0
    return (
        surrogates_visible_to(membership)
        .filter(archived_at__isnull=True, stage__order__gte=approved, stage__order__lte=matched)
        .exclude(stage__stage_type=StageType.TERMINAL)
        .exclude(matches__status=MatchStatus.ACCEPTED)
        .select_related("stage")
        .order_by("number")
    )


def proposable_parents(membership: Membership):
    return IntendedParent.objects.filter(
        organization_id=membership.organization_id,
        status__in=[IntendedParentStatus.NEW, IntendedParentStatus.READY_TO_MATCH],
    ).order_by("number")


def approvals_visible_to(membership: Membership):
    return MatchApproval.objects.filter(organization_id=membership.organization_id).select_related(
        "intended_parent", "match", "match__surrogate", "requested_by", "decided_by"
    )


def pending_approvals_for(membership: Membership):
    queryset = approvals_visible_to(membership).filter(state=MatchApproval.State.PENDING)
    if not perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS):
        queryset = queryset.filter(requested_by_id=membership.user_id)
    return queryset.order_by("requested_at", "id")


def get_approval_for_member(membership: Membership, public_id) -> MatchApproval:
    approval = approvals_visible_to(membership).filter(public_id=public_id).first()
    if approval is None:
        raise Http404("No such request.")
    return approval


def calendar_events(membership: Membership, *, start: datetime.datetime, end: datetime.datetime):
    return (
        MatchEvent.objects.filter(
            organization_id=membership.organization_id,
            match__in=matches_visible_to(membership),
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("match", "match__surrogate", "match__intended_parent")
        .order_by("starts_at", "id")
    )
