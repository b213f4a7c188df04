"""Business rules for intended parents, matches and the match calendar.

Keyword-only functions; each checks the actor's permission, writes in one transaction and
records one audit event (tenants.audit.audit_record). Lock order everywhere: surrogate, then
intended parent, then match, so concurrent accepts queue instead of deadlocking.
"""
import datetime
import re
import zoneinfo
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from matching.models import (
    IP_STATUS_ORDER,
    OPEN_MATCH_STATUSES,
    IntendedParent,
    IntendedParentStatus,
    Match,
    MatchApproval,
    MatchEvent,
    MatchStatus,
)
from surrogates.models import Stage, StatusChange, Surrogate
from surrogates.services import _apply_stage
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership, Organization
from tenants.pii import email_hash, phone_hash

FIRST_NUMBER = 10001
PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-]+$")
MAX_BUDGET = Decimal("100000000")
EVENT_HORIZON = datetime.timedelta(days=366 * 3)


class MatchingError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


def _require(membership: Membership, permission: str) -> None:
    if not perms.has_perm(membership, permission):
        raise MatchingError("Your role does not allow this.")


def _same_org(membership: Membership, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != membership.organization_id:
            raise MatchingError("That record belongs to another organization.")


# --- Intended parents -----------------------------------------------------------------------

PROFILE_FIELDS = ("full_name", "email", "phone", "state", "budget", "internal_notes")
PII_FIELDS = {"full_name", "email", "phone", "internal_notes"}


def _budget(value):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError as exc:
        raise MatchingError("Enter the budget as a number.") from exc


def _check_profile(values: dict) -> None:
    if "budget" in values:
        values["budget"] = _budget(values["budget"])
    if "full_name" in values and not (values["full_name"] or "").strip():
        raise MatchingError("A full name is required.")
    phone = values.get("phone")
    if phone:
        digits = re.sub(r"\D", "", phone)
        if not PHONE_SHAPE.match(phone) or not 7 <= len(digits) <= 15:
            raise MatchingError("Enter a valid phone number (digits, spaces, + ( ) - only; 7 to 15 digits).")
    budget = values.get("budget")
    if budget is not None and not Decimal("0") <= budget < MAX_BUDGET:
        raise MatchingError("Enter a budget between 0 and 100,000,000.")


def _issue_number(organization_id) -> int:
    # Locking the organization row serialises concurrent creates; parents are never deleted,
    # so max + 1 never reuses a number.
    Organization.objects.select_for_update().filter(pk=organization_id).first()
    top = IntendedParent.objects.filter(organization_id=organization_id).aggregate(top=Max("number"))["top"]
    return (top or FIRST_NUMBER - 1) + 1


def _audit_values(values: dict) -> dict:
    return {field: ("changed" if field in PII_FIELDS else str(value)) for field, value in values.items()}


def intended_parent_create(
    *,
    membership: Membership,
    full_name: str,
    email: str = "",
    phone: str = "",
    state: str = "",
    budget=None,
    internal_notes: str = "",
) -> IntendedParent:
    _require(membership, perms.MANAGE_MATCHES)
    values = {"full_name": full_name, "phone": phone, "budget": budget}
    _check_profile(values)
    with transaction.atomic():
        parent = IntendedParent.objects.create(
            organization_id=membership.organization_id,
            number=_issue_number(membership.organization_id),
            full_name=full_name.strip(),
            email=(email or "").strip(),
            email_hash=email_hash(email),
            phone=(phone or "").strip(),
            phone_hash=phone_hash(phone),
            state=(state or "").strip(),
            budget=values["budget"],
            internal_notes=(internal_notes or "").strip(),
            created_by=membership.user,
        )
        audit_record(
            actor=membership.user, action="intended_parent.created", target=parent, data={"number": parent.ip_number}
        )
    return parent


def intended_parent_update(*, membership: Membership, parent: IntendedParent, **changes) -> IntendedParent:
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, parent)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise MatchingError(f"Cannot edit {', '.join(sorted(unknown))} here.")
    changed = {field: value for field, value in changes.items() if getattr(parent, field) != value}
    _check_profile(changed)
    if not changed:
        return parent
    with transaction.atomic():
        for field, value in changed.items():
            setattr(parent, field, value.strip() if isinstance(value, str) else value)
        if "email" in changed:
            parent.email_hash = email_hash(changed["email"])
        if "phone" in changed:
            parent.phone_hash = phone_hash(changed["phone"])
        parent.save()
        audit_record(
            actor=membership.user, action="intended_parent.updated", target=parent, data=_audit_values(changed)
        )
    return parent


def _set_parent_status(*, parent: IntendedParent, to_status: str, actor, kind: str = "change") -> None:
    from_status = parent.status
    if from_status == to_status:
        return
    parent.status = to_status
    parent.status_changed_at = timezone.now()
    parent.save(update_fields=["status", "status_changed_at", "updated_at"])
    audit_record(
        actor=actor,
        action="intended_parent.status_changed",
        target=parent,
        data={"from": from_status, "to": to_status, "kind": kind},
    )


def intended_parent_change_status(
    *, membership: Membership, parent: IntendedParent, to_status: str, reason: str = ""
) -> IntendedParent | MatchApproval:
    """Forward moves apply now; a move back becomes a pending request for an admin."""
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, parent)
    if to_status not in IP_STATUS_ORDER:
        raise MatchingError("Choose a valid status.")
    reason = (reason or "").strip()
    with transaction.atomic():
        parent = IntendedParent.objects.select_for_update().get(pk=parent.pk)
        if to_status == parent.status:
            raise MatchingError(f"The intended parent is already {parent.get_status_display().lower()}.")
        if IP_STATUS_ORDER.index(to_status) > IP_STATUS_ORDER.index(parent.status):
            _set_parent_status(parent=parent, to_status=to_status, actor=membership.user)
            return parent
        if not reason:
            raise MatchingError("A reason is required for moving back to an earlier status.")
        if MatchApproval.objects.filter(
            intended_parent=parent, to_status=to_status, state=MatchApproval.State.PENDING,
            kind=MatchApproval.Kind.PARENT_STATUS,
        ).exists():
            raise MatchingError("A request for this move is already pending.")
        approval = MatchApproval.objects.create(
            organization_id=parent.organization_id,
            kind=MatchApproval.Kind.PARENT_STATUS,
            intended_parent=parent,
            from_status=parent.status,
            to_status=to_status,
            reason=reason,
            requested_by=membership.user,
        )
        audit_record(
            actor=membership.user,
            action="intended_parent.regression_requested",
            target=parent,
            data={"from": parent.status, "to": to_status, "request": str(approval.public_id)},
        )
    return approval


# --- Matches --------------------------------------------------------------------------------


def match_propose(*, membership: Membership, surrogate: Surrogate, parent: IntendedParent, note: str = "") -> Match:
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, surrogate, parent)
    if surrogate.archived_at is not None:
        raise MatchingError("Restore this surrogate before proposing a match.")
    if parent.status in (IntendedParentStatus.MATCHED, IntendedParentStatus.DELIVERED):
        raise MatchingError(f"{parent.ip_number} is already {parent.get_status_display().lower()}.")
    if Match.objects.filter(surrogate=surrogate, status=MatchStatus.ACCEPTED).exists():
        raise MatchingError(f"{surrogate.surrogate_number} already has an accepted match.")
    pair = Match.objects.filter(surrogate=surrogate, intended_parent=parent, status__in=[*OPEN_MATCH_STATUSES, "accepted"])
    if pair.exists():
        raise MatchingError("This surrogate and intended parent are already proposed as a match.")
    try:
        with transaction.atomic():
            match = Match.objects.create(
                organization_id=membership.organization_id,
                surrogate=surrogate,
                intended_parent=parent,
                proposed_by=membership.user,
                note=(note or "").strip(),
            )
            audit_record(
                actor=membership.user,
                action="match.proposed",
                target=match,
                data={"surrogate": str(surrogate.public_id), "intended_parent": str(parent.public_id)},
            )
    except IntegrityError as exc:  # a concurrent identical proposal
        raise MatchingError("This surrogate and intended parent are already proposed as a match.") from exc
    return match


def match_mark_viewed(*, membership: Membership, match: Match) -> bool:
    """The first view by someone other than the proposer moves proposed -> reviewing (once)."""
    if match.proposed_by_id == membership.user_id or not perms.has_perm(membership, perms.MANAGE_MATCHES):
        return False
    with transaction.atomic():
        changed = (
            Match.objects.filter(pk=match.pk, status=MatchStatus.PROPOSED)
            .exclude(proposed_by_id=membership.user_id)
            .update(status=MatchStatus.REVIEWING, first_viewed_by=membership.user, first_viewed_at=timezone.now())
        )
        if changed:
            match.refresh_from_db()
            audit_record(actor=membership.user, action="match.reviewing", target=match)
    return bool(changed)


def _matched_stage(organization_id) -> Stage:
    stage = Stage.objects.filter(organization_id=organization_id, key="matched", is_active=True).first()
    if stage is None:
        raise MatchingError("The pipeline has no active Matched stage.")
    return stage


def _lock_surrogate(surrogate_id) -> Surrogate:
    # Lock without joins (PostgreSQL re-checks a waited-for row against joined rows' old versions,
    # so a join on the stage that the winner just changed would make the row disappear), then read
    # the stage after the lock.
    surrogate = Surrogate.objects.select_for_update().get(pk=surrogate_id)
    surrogate.stage = Stage.objects.get(pk=surrogate.stage_id)
    return surrogate


def match_accept(*, membership: Membership, match: Match, note: str = "") -> Match:
    """Accept: surrogate and intended parent become matched, the surrogate's other proposals close."""
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, match)
    matched = _matched_stage(match.organization_id)
    try:
        with transaction.atomic():
            surrogate = _lock_surrogate(match.surrogate_id)
            parent = IntendedParent.objects.select_for_update().get(pk=match.intended_parent_id)
            match = Match.objects.select_for_update().get(pk=match.pk)
            if match.status == MatchStatus.ACCEPTED:
                raise MatchingError("This match was already accepted.")
            if match.status not in OPEN_MATCH_STATUSES:
                raise MatchingError(
                    f"This proposal is {match.get_status_display().lower()}"
                    + (": another match for this surrogate was accepted first." if match.status == "cancelled" else ".")
                )
            if surrogate.archived_at is not None:
                raise MatchingError("Restore this surrogate before accepting a match.")
            if surrogate.stage.order > matched.order:
                raise MatchingError(f"{surrogate.surrogate_number} is already past {matched.label}.")
            if parent.status in (IntendedParentStatus.MATCHED, IntendedParentStatus.DELIVERED):
                raise MatchingError(f"{parent.ip_number} is already {parent.get_status_display().lower()}.")
            now = timezone.now()
            match.status = MatchStatus.ACCEPTED
            match.decided_by = membership.user
            match.decided_at = now
            if note:
                match.note = (match.note + "\n" + note.strip()).strip()
            with transaction.atomic():
                match.save(update_fields=["status", "decided_by", "decided_at", "note"])
            if surrogate.stage_id != matched.pk:
                _apply_stage(
                    surrogate=surrogate,
                    to_stage=matched,
                    effective_at=now,
                    kind=StatusChange.Kind.CHANGE,
                    reason=f"Match with {parent.ip_number} accepted",
                    requested_by=membership.user,
                )
            _set_parent_status(parent=parent, to_status=IntendedParentStatus.MATCHED, actor=membership.user)
            others = list(
                Match.objects.select_for_update()
                .filter(surrogate=surrogate, status__in=OPEN_MATCH_STATUSES)
                .exclude(pk=match.pk)
            )
            for other in others:
                other.status = MatchStatus.CANCELLED
                other.decided_by = membership.user
                other.decided_at = now
                other.save(update_fields=["status", "decided_by", "decided_at"])
                audit_record(
                    actor=membership.user, action="match.cancelled", target=other, data={"because": str(match.public_id)}
                )
            audit_record(
                actor=membership.user, action="match.accepted", target=match, data={"cancelled_others": len(others)}
            )
    except IntegrityError as exc:
        # one_accepted_match_per_surrogate: the database's answer if two accepts ever get past the lock.
        raise MatchingError("Another match for this surrogate was accepted first.") from exc
    return match


def match_reject(*, membership: Membership, match: Match, note: str = "") -> Match:
    return _close(membership=membership, match=match, status=MatchStatus.REJECTED, note=note)


def match_cancel(*, membership: Membership, match: Match, reason: str = "") -> Match | MatchApproval:
    """An open proposal is cancelled now; an accepted match waits for an admin's approval."""
    match.status = Match.objects.filter(pk=match.pk).values_list("status", flat=True).first() or match.status
    if match.status != MatchStatus.ACCEPTED:
        return _close(membership=membership, match=match, status=MatchStatus.CANCELLED, note=reason)
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, match)
    reason = (reason or "").strip()
    if not reason:
        raise MatchingError("A reason is required to cancel an accepted match.")
    try:
        with transaction.atomic():
            approval = MatchApproval.objects.create(
                organization_id=match.organization_id,
                kind=MatchApproval.Kind.CANCEL_MATCH,
                intended_parent_id=match.intended_parent_id,
                match=match,
                reason=reason,
                requested_by=membership.user,
            )
            audit_record(
                actor=membership.user,
                action="match.cancel_requested",
                target=match,
                data={"request": str(approval.public_id)},
            )
    except IntegrityError as exc:
        raise MatchingError("A request to cancel this match is already pending.") from exc
    return approval


def _close(*, membership, match, status, note) -> Match:
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, match)
    with transaction.atomic():
        match = Match.objects.select_for_update().get(pk=match.pk)
        if match.status not in OPEN_MATCH_STATUSES:
            raise MatchingError(f"This proposal is already {match.get_status_display().lower()}.")
        match.status = status
        match.decided_by = membership.user
        match.decided_at = timezone.now()
        if note:
            match.note = (match.note + "\n" + note.strip()).strip()
        match.save(update_fields=["status", "decided_by", "decided_at", "note"])
        audit_record(actor=membership.user, action=f"match.{status}", target=match)
    return match


# --- Approvals ------------------------------------------------------------------------------


def _lock_pending(approval: MatchApproval) -> MatchApproval:
    locked = MatchApproval.objects.select_for_update().get(pk=approval.pk)
    if locked.state != MatchApproval.State.PENDING:
        raise MatchingError(f"This request was already {locked.get_state_display().lower()}.")
    return locked


def _decide(approval: MatchApproval, membership, state, note) -> None:
    approval.state = state
    approval.decided_by = membership.user
    approval.decided_at = timezone.now()
    approval.decision_note = (note or "").strip()
    approval.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    audit_record(
        actor=membership.user,
        action="matching.approval_decided",
        target=approval.match or approval.intended_parent,
        data={"request": str(approval.public_id), "kind": approval.kind, "state": state},
    )


def approval_approve(*, membership: Membership, approval: MatchApproval, note: str = "") -> MatchApproval:
    _require(membership, perms.APPROVE_STATUS_REQUESTS)
    _same_org(membership, approval)
    with transaction.atomic():
        if approval.kind == MatchApproval.Kind.CANCEL_MATCH:
            match = Match.objects.get(pk=approval.match_id)
            surrogate = _lock_surrogate(match.surrogate_id)
            parent = IntendedParent.objects.select_for_update().get(pk=approval.intended_parent_id)
            match = Match.objects.select_for_update().get(pk=match.pk)
            approval = _lock_pending(approval)
            if match.status != MatchStatus.ACCEPTED:
                raise MatchingError("This match is no longer accepted; reject the request.")
            match.status = MatchStatus.CANCELLED
            match.decided_by = membership.user
            match.decided_at = timezone.now()
            match.save(update_fields=["status", "decided_by", "decided_at"])
            _undo_matched(surrogate=surrogate, parent=parent, approval=approval, membership=membership)
        else:
            parent = IntendedParent.objects.select_for_update().get(pk=approval.intended_parent_id)
            approval = _lock_pending(approval)
            if parent.status != approval.from_status:
                raise MatchingError("The intended parent has moved since this request was made; reject it.")
            _set_parent_status(
                parent=parent, to_status=approval.to_status, actor=membership.user, kind="approved_regression"
            )
        _decide(approval, membership, MatchApproval.State.APPROVED, note)
    return approval


def _undo_matched(*, surrogate, parent, approval, membership) -> None:
    """After an approved cancellation both sides go back to ready to match."""
    ready = Stage.objects.filter(organization_id=surrogate.organization_id, key="ready_to_match", is_active=True).first()
    if ready is not None and surrogate.stage.key == "matched":
        _apply_stage(
            surrogate=surrogate,
            to_stage=ready,
            effective_at=timezone.now(),
            kind=StatusChange.Kind.APPROVED_REGRESSION,
            reason=approval.reason,
            requested_by=approval.requested_by,
            approved_by=membership.user,
        )
    if parent.status == IntendedParentStatus.MATCHED:
        _set_parent_status(
            parent=parent, to_status=IntendedParentStatus.READY_TO_MATCH, actor=membership.user, kind="approved_regression"
        )


def approval_reject(*, membership: Membership, approval: MatchApproval, note: str = "") -> MatchApproval:
    _require(membership, perms.APPROVE_STATUS_REQUESTS)
    _same_org(membership, approval)
    with transaction.atomic():
        approval = _lock_pending(approval)
        _decide(approval, membership, MatchApproval.State.REJECTED, note)
    return approval


def approval_withdraw(*, membership: Membership, approval: MatchApproval) -> MatchApproval:
    _same_org(membership, approval)
    with transaction.atomic():
        approval = _lock_pending(approval)
        if approval.requested_by_id != membership.user_id:
            raise MatchingError("Only the person who asked can withdraw this request.")
        _decide(approval, membership, MatchApproval.State.CANCELLED, "")
    return approval


# --- Calendar -------------------------------------------------------------------------------


def event_create(
    *, membership: Membership, match: Match, kind: str, title: str, date, time, time_zone: str, details: str = ""
) -> MatchEvent:
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, match)
    if kind not in MatchEvent.Kind.values:
        raise MatchingError("Choose an event type.")
    title = (title or "").strip() or MatchEvent.Kind(kind).label
    try:
        tz = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise MatchingError("Choose a valid time zone.") from exc
    starts_at = datetime.datetime.combine(date, time or datetime.time(9, 0), tzinfo=tz)
    now = timezone.now()
    if abs(starts_at - now) > EVENT_HORIZON:
        raise MatchingError("Pick a date within three years of today.")
    with transaction.atomic():
        event = MatchEvent.objects.create(
            organization_id=match.organization_id,
            match=match,
            kind=kind,
            title=title,
            starts_at=starts_at,
            time_zone=time_zone,
            details=(details or "").strip(),
            created_by=membership.user,
        )
        audit_record(
            actor=membership.user,
            action="match.event_added",
            target=match,
            data={"event": str(event.public_id), "kind": kind, "starts_at": starts_at.isoformat()},
        )
    return event


def event_delete(*, membership: Membership, event: MatchEvent) -> None:
    _require(membership, perms.MANAGE_MATCHES)
    _same_org(membership, event)
    with transaction.atomic():
        audit_record(actor=membership.user, action="match.event_removed", target=event.match, data={"event": str(event.public_id)})
        event.delete()
