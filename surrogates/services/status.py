"""Stage changes: forward moves, undo, regressions waiting for approval."""
import datetime
import logging

from django.db import transaction
from django.utils import timezone

from surrogates.models import Queue, Stage, StatusChange, StatusChangeRequest, Surrogate
from surrogates.services.common import NOW_TOLERANCE, STAGE_PERMISSION, UNDO_WINDOW, SurrogateError, _require, _same_org
from surrogates.services.queues import set_owner, system_queue
from surrogates.signals import stage_changed
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership, Organization

logger = logging.getLogger(__name__)


# --- Status changes -------------------------------------------------------------------------


def resolve_effective_at(*, when, surrogate: Surrogate, organization: Organization, now=None) -> datetime.datetime:
    """A date with no time means now if it is today, 12:00 in the org's time zone if past."""
    now = now or timezone.now()
    tz = organization.tzinfo
    if when is None:
        return now
    if isinstance(when, datetime.datetime):
        if timezone.is_naive(when):
            when = timezone.make_aware(when, tz)
        if when > now + NOW_TOLERANCE:
            raise SurrogateError("The effective date cannot be in the future.")
        if when < surrogate.created_at:
            raise SurrogateError("The effective date cannot be before the record was created.")
        return when
    today = timezone.localdate(now, tz)
    if when > today:
        raise SurrogateError("The effective date cannot be in the future.")
    if when < timezone.localdate(surrogate.created_at, tz):
        raise SurrogateError("The effective date cannot be before the record was created.")
    if when == today:
        return now
    noon = datetime.datetime.combine(when, datetime.time(12, 0), tzinfo=tz)
    return max(noon, surrogate.created_at)


POOL_STAGE = "approved"


def _apply_stage(*, surrogate, to_stage, effective_at, kind, reason, requested_by, approved_by=None):
    from_stage = surrogate.stage
    surrogate.stage = to_stage
    surrogate.stage_changed_at = effective_at
    surrogate.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    if to_stage.key == POOL_STAGE and from_stage.order < to_stage.order:
        # Reaching `approved` hands the record to the Surrogate Pool for a case manager to claim.
        pool = system_queue(surrogate.organization_id, Queue.SURROGATE_POOL)
        set_owner(surrogate=surrogate, user=None, queue=pool, actor=approved_by or requested_by, via="approved")
    change = StatusChange.objects.create(
        organization_id=surrogate.organization_id,
        surrogate=surrogate,
        from_stage=from_stage,
        to_stage=to_stage,
        kind=kind,
        effective_at=effective_at,
        reason=reason,
        requested_by=requested_by,
        approved_by=approved_by,
    )
    _announce_stage_change(surrogate=surrogate, from_stage=from_stage, to_stage=to_stage)
    audit_record(
        actor=approved_by or requested_by,
        action="surrogate.stage_changed",
        target=surrogate,
        data={
            "from": from_stage.key,
            "to": to_stage.key,
            "kind": kind,
            "effective_at": effective_at.isoformat(),
            "requested_by": requested_by.pk if requested_by else None,
        },
    )
    return change


def _announce_stage_change(*, surrogate, from_stage, to_stage) -> None:
    ids = dict(
        organization_id=surrogate.organization_id,
        surrogate_id=surrogate.pk,
        from_stage_id=from_stage.pk,
        to_stage_id=to_stage.pk,
    )

    def send():
        for receiver, result in stage_changed.send_robust(sender=Surrogate, **ids):
            if isinstance(result, Exception):
                logger.error("stage_changed listener %s failed: %s", getattr(receiver, "__name__", receiver), type(result).__name__)

    transaction.on_commit(send)


def _is_undo(*, surrogate, to_stage, user, now) -> bool:
    last = StatusChange.objects.filter(surrogate=surrogate).order_by("-recorded_at", "-id").first()
    return (
        last is not None
        and last.kind in (StatusChange.Kind.CHANGE, StatusChange.Kind.APPROVED_REGRESSION)
        and last.from_stage_id == to_stage.pk
        and last.to_stage_id == surrogate.stage_id
        and last.requested_by_id == user.pk
        and now - last.recorded_at <= UNDO_WINDOW
    )


def surrogate_change_status(
    *, membership: Membership, surrogate: Surrogate, to_stage: Stage, when=None, reason: str = ""
) -> StatusChange | StatusChangeRequest:
    """Forward moves apply now; a regression becomes a pending request (or an immediate undo)."""
    user = membership.user
    reason = (reason or "").strip()
    _require(membership, STAGE_PERMISSION[to_stage.stage_type])
    _same_org(membership, surrogate, to_stage)
    with transaction.atomic():
        surrogate = Surrogate.objects.select_for_update().get(pk=surrogate.pk)  # no join: see queues._locked
        current = surrogate.stage
        if surrogate.archived_at is not None:
            raise SurrogateError("Restore this surrogate before changing its stage.")
        if to_stage.pk == current.pk:
            raise SurrogateError(f"The surrogate is already in {current.label}.")
        if not to_stage.is_active:
            raise SurrogateError(f"{to_stage.label} is not an active stage.")
        now = timezone.now()
        effective_at = resolve_effective_at(
            when=when, surrogate=surrogate, organization=membership.organization, now=now
        )
        backdated = effective_at < now - NOW_TOLERANCE
        regression = to_stage.order < current.order

        if regression and _is_undo(surrogate=surrogate, to_stage=to_stage, user=user, now=now):
            return _apply_stage(
                surrogate=surrogate,
                to_stage=to_stage,
                effective_at=now,
                kind=StatusChange.Kind.UNDO,
                reason=reason or "Undo of the previous change",
                requested_by=user,
            )
        if (regression or backdated) and not reason:
            raise SurrogateError(
                "A reason is required for moving back to an earlier stage."
                if regression
                else "A reason is required for a backdated change."
            )
        if regression:
            if StatusChangeRequest.objects.filter(
                surrogate=surrogate, to_stage=to_stage, state=StatusChangeRequest.State.PENDING
            ).exists():
                raise SurrogateError(f"A request to move back to {to_stage.label} is already pending.")
            request = StatusChangeRequest.objects.create(
                organization_id=surrogate.organization_id,
                surrogate=surrogate,
                from_stage=current,
                to_stage=to_stage,
                effective_at=effective_at,
                reason=reason,
                requested_by=user,
            )
            audit_record(
                actor=user,
                action="surrogate.stage_regression_requested",
                target=surrogate,
                data={"from": current.key, "to": to_stage.key, "request": str(request.public_id)},
            )
            return request
        return _apply_stage(
            surrogate=surrogate,
            to_stage=to_stage,
            effective_at=effective_at,
            kind=StatusChange.Kind.CHANGE,
            reason=reason,
            requested_by=user,
        )


def _lock_pending(request: StatusChangeRequest) -> StatusChangeRequest:
    locked = StatusChangeRequest.objects.select_for_update().get(pk=request.pk)
    if locked.state != StatusChangeRequest.State.PENDING:
        raise SurrogateError(f"This request was already {locked.get_state_display().lower()}.")
    return locked


def status_request_approve(*, membership: Membership, request: StatusChangeRequest, note: str = "") -> StatusChange:
    _require(membership, perms.APPROVE_STATUS_REQUESTS)
    _same_org(membership, request)
    with transaction.atomic():
        request = _lock_pending(request)
        surrogate = Surrogate.objects.select_for_update().get(pk=request.surrogate_id)
        if surrogate.stage_id != request.from_stage_id:
            raise SurrogateError(
                "The surrogate has moved since this request was made; reject it and ask for a new one."
            )
        if not request.to_stage.is_active:
            raise SurrogateError(f"{request.to_stage.label} is no longer an active stage.")
        request.state = StatusChangeRequest.State.APPROVED
        request.decided_by = membership.user
        request.decided_at = timezone.now()
        request.decision_note = (note or "").strip()
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        return _apply_stage(
            surrogate=surrogate,
            to_stage=request.to_stage,
            effective_at=request.effective_at,
            kind=StatusChange.Kind.APPROVED_REGRESSION,
            reason=request.reason,
            requested_by=request.requested_by,
            approved_by=membership.user,
        )


def status_request_reject(*, membership: Membership, request: StatusChangeRequest, note: str = "") -> StatusChangeRequest:
    _require(membership, perms.APPROVE_STATUS_REQUESTS)
    _same_org(membership, request)
    with transaction.atomic():
        request = _lock_pending(request)
        request.state = StatusChangeRequest.State.REJECTED
        request.decided_by = membership.user
        request.decided_at = timezone.now()
        request.decision_note = (note or "").strip()
        request.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        audit_record(
            actor=membership.user,
            action="surrogate.stage_regression_rejected",
            target=request.surrogate,
            data={"request": str(request.public_id)},
        )
    return request


def status_request_cancel(*, membership: Membership, request: StatusChangeRequest) -> StatusChangeRequest:
    _same_org(membership, request)
    with transaction.atomic():
        request = _lock_pending(request)
        if request.requested_by_id != membership.user_id:
            raise SurrogateError("Only the person who asked can cancel this request.")
        request.state = StatusChangeRequest.State.CANCELLED
        request.decided_by = membership.user
        request.decided_at = timezone.now()
        request.save(update_fields=["state", "decided_by", "decided_at"])
        audit_record(
            actor=membership.user,
            action="surrogate.stage_regression_cancelled",
            target=request.surrogate,
            data={"request": str(request.public_id)},
        )
    return request


