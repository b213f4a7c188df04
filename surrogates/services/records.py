"""Business rules for surrogate records. Views call these; nothing else writes these tables.

Every function takes keyword-only arguments, runs inside the caller's organization scope,
checks the actor's permission, writes in one transaction and records one audit event.
"""
import datetime
import re

import nh3
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from surrogates.models import Note, Stage, StageType, StatusChange, StatusChangeRequest, Surrogate, Task
from surrogates.pipeline import DEFAULT_STAGES
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership, Organization
from tenants.pii import email_hash, phone_hash

UNDO_WINDOW = datetime.timedelta(minutes=5)
# A datetime this close to now counts as "now", not as backdated (clock skew, slow form posts).
NOW_TOLERANCE = datetime.timedelta(minutes=1)
STAGE_PERMISSION = {
    StageType.INTAKE: perms.SET_INTAKE_STAGE,
    StageType.POST_APPROVAL: perms.SET_POST_APPROVAL_STAGE,
    StageType.TERMINAL: perms.SET_TERMINAL_STAGE,
}
NOTE_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote", "code", "pre"}


class SurrogateError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


def _require(membership: Membership, permission: str) -> None:
    if not perms.has_perm(membership, permission):
        raise SurrogateError("Your role does not allow this.")


def _same_org(membership: Membership, *objects) -> None:
    """Refuse to link rows across organizations (the database refuses it too)."""
    for obj in objects:
        if obj is not None and obj.organization_id != membership.organization_id:
            raise SurrogateError("That record belongs to another organization.")


# --- Pipeline -------------------------------------------------------------------------------


def pipeline_install_defaults(*, organization: Organization) -> list[Stage]:
    existing = set(Stage.objects.filter(organization=organization).values_list("key", flat=True))
    return Stage.objects.bulk_create(
        [
            Stage(organization=organization, key=key, label=label, order=index, stage_type=stage_type)
            for index, (key, label, stage_type) in enumerate(DEFAULT_STAGES, start=1)
            if key not in existing
        ]
    )


def stages_settable_by(membership: Membership):
    allowed_types = [stage_type for stage_type, perm in STAGE_PERMISSION.items() if perms.has_perm(membership, perm)]
    return Stage.objects.filter(is_active=True, stage_type__in=allowed_types)


# --- Records --------------------------------------------------------------------------------


PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-]+$")
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
TASK_DUE_HORIZON = datetime.timedelta(days=366 * 10)


def _check_contact(*, phone: str | None = None, date_of_birth=None) -> None:
    if phone:
        digits = re.sub(r"\D", "", phone)
        if not PHONE_SHAPE.match(phone) or not 7 <= len(digits) <= 15:
            raise SurrogateError("Enter a valid phone number (digits, spaces, + ( ) - only; 7 to 15 digits).")
    if date_of_birth is not None:
        if date_of_birth > timezone.localdate() or date_of_birth < EARLIEST_BIRTH_DATE:
            raise SurrogateError("Enter a real date of birth (in the past, after 1900).")


def _check_owner(owner) -> None:
    if owner is None:
        return
    if not Membership.objects.filter(user=owner, is_active=True).exists():
        raise SurrogateError("The owner must be an active member of this organization.")


def _check_unique_email(*, organization_id, hashed: str, exclude_pk=None) -> None:
    if not hashed:
        return
    clash = Surrogate.objects.filter(organization_id=organization_id, email_hash=hashed, archived_at__isnull=True)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise SurrogateError("An active surrogate with this email already exists.")


def _issue_number(organization_id) -> int:
    # The conditional UPDATE locks the organization row until commit: concurrent creates queue
    # here, so numbers are unique and, never being decremented, never reused.
    Organization.objects.filter(pk=organization_id).update(next_surrogate_number=F("next_surrogate_number") + 1)
    return Organization.objects.values_list("next_surrogate_number", flat=True).get(pk=organization_id) - 1


PROFILE_FIELDS = ("full_name", "email", "phone", "date_of_birth", "source", "priority", "owner")
PII_FIELDS = {"full_name", "email", "phone", "date_of_birth"}


def _audit_values(changes: dict) -> dict:
    """New values for the audit log; PII is recorded as 'changed', never by value."""
    values = {}
    for field, value in changes.items():
        if field in PII_FIELDS:
            values[field] = "changed"
        elif field == "owner":
            values["owner_id"] = value.pk if value else None
        else:
            values[field] = value
    return values


def surrogate_create(
    *,
    membership: Membership,
    full_name: str,
    email: str = "",
    phone: str = "",
    date_of_birth=None,
    source: str = "manual",
    priority: str = "normal",
    owner=None,
    stage: Stage | None = None,
) -> Surrogate:
    _require(membership, perms.CREATE_SURROGATE)
    _same_org(membership, stage)
    organization_id = membership.organization_id
    if not (full_name or "").strip():
        raise SurrogateError("A full name is required.")
    if stage is None:
        stage = Stage.objects.filter(is_active=True, stage_type=StageType.INTAKE).order_by("order").first()
    if stage is None or not stage.is_active:
        raise SurrogateError("The pipeline has no active intake stage.")
    _check_contact(phone=phone, date_of_birth=date_of_birth)
    if owner is None and not perms.has_perm(membership, perms.VIEW_ALL_SURROGATES):
        owner = membership.user  # otherwise the creator could not see the record they made
    _check_owner(owner)
    hashed_email = email_hash(email)
    with transaction.atomic():
        _check_unique_email(organization_id=organization_id, hashed=hashed_email)
        now = timezone.now()
        surrogate = Surrogate(
            organization_id=organization_id,
            number=_issue_number(organization_id),
            full_name=full_name.strip(),
            email=(email or "").strip(),
            email_hash=hashed_email,
            phone=(phone or "").strip(),
            phone_hash=phone_hash(phone),
            date_of_birth=date_of_birth,
            source=source,
            priority=priority,
            owner=owner,
            stage=stage,
            stage_changed_at=now,
            created_by=membership.user,
            created_at=now,
        )
        try:
            with transaction.atomic():
                surrogate.save()
        except IntegrityError as exc:
            raise SurrogateError("An active surrogate with this email already exists.") from exc
        StatusChange.objects.create(
            organization_id=organization_id,
            surrogate=surrogate,
            to_stage=stage,
            kind=StatusChange.Kind.CREATED,
            effective_at=now,
            recorded_at=now,
            requested_by=membership.user,
        )
        audit_record(
            actor=membership.user,
            action="surrogate.created",
            target=surrogate,
            data={"number": surrogate.surrogate_number, "stage": stage.key, "source": source, "priority": priority},
        )
    return surrogate


def surrogate_update(*, membership: Membership, surrogate: Surrogate, **changes) -> Surrogate:
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, surrogate)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise SurrogateError(f"Cannot edit {', '.join(sorted(unknown))} here.")
    changed = {field: value for field, value in changes.items() if getattr(surrogate, field) != value}
    if "full_name" in changed and not (changed["full_name"] or "").strip():
        raise SurrogateError("A full name is required.")
    if "owner" in changed:
        _check_owner(changed["owner"])
    _check_contact(phone=changed.get("phone"), date_of_birth=changed.get("date_of_birth"))
    if not changed:
        return surrogate
    with transaction.atomic():
        for field, value in changed.items():
            setattr(surrogate, field, value)
        if "email" in changed:
            surrogate.email_hash = email_hash(changed["email"])
            if surrogate.archived_at is None:
                _check_unique_email(
                    organization_id=surrogate.organization_id, hashed=surrogate.email_hash, exclude_pk=surrogate.pk
                )
        if "phone" in changed:
            surrogate.phone_hash = phone_hash(changed["phone"])
        try:
            with transaction.atomic():
                surrogate.save()
        except IntegrityError as exc:
            raise SurrogateError("An active surrogate with this email already exists.") from exc
        audit_record(actor=membership.user, action="surrogate.updated", target=surrogate, data=_audit_values(changed))
    return surrogate


def surrogate_archive(*, membership: Membership, surrogate: Surrogate) -> Surrogate:
    _require(membership, perms.ARCHIVE_SURROGATE)
    _same_org(membership, surrogate)
    if surrogate.archived_at is not None:
        raise SurrogateError("This surrogate is already archived.")
    with transaction.atomic():
        surrogate.archived_at = timezone.now()
        surrogate.save(update_fields=["archived_at", "updated_at"])
        audit_record(actor=membership.user, action="surrogate.archived", target=surrogate)
    return surrogate


def surrogate_restore(*, membership: Membership, surrogate: Surrogate) -> Surrogate:
    _require(membership, perms.ARCHIVE_SURROGATE)
    _same_org(membership, surrogate)
    if surrogate.archived_at is None:
        raise SurrogateError("This surrogate is not archived.")
    with transaction.atomic():
        _check_unique_email(
            organization_id=surrogate.organization_id, hashed=surrogate.email_hash, exclude_pk=surrogate.pk
        )
        surrogate.archived_at = None
        surrogate.save(update_fields=["archived_at", "updated_at"])
        audit_record(actor=membership.user, action="surrogate.restored", target=surrogate)
    return surrogate


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


def _apply_stage(*, surrogate, to_stage, effective_at, kind, reason, requested_by, approved_by=None):
    from_stage = surrogate.stage
    surrogate.stage = to_stage
    surrogate.stage_changed_at = effective_at
    surrogate.save(update_fields=["stage", "stage_changed_at", "updated_at"])
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
        surrogate = Surrogate.objects.select_for_update().select_related("stage").get(pk=surrogate.pk)
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
        surrogate = Surrogate.objects.select_for_update().select_related("stage").get(pk=request.surrogate_id)
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


# --- Notes and tasks ------------------------------------------------------------------------


def sanitize_note_html(html: str) -> str:
    return nh3.clean(html or "", tags=NOTE_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")


def note_add(*, membership: Membership, surrogate: Surrogate, body: str) -> Note:
    _require(membership, perms.ADD_NOTE)
    _same_org(membership, surrogate)
    clean = sanitize_note_html(body).strip()
    if not nh3.clean(clean, tags=set()).strip():
        raise SurrogateError("A note cannot be empty.")
    with transaction.atomic():
        note = Note.objects.create(
            organization_id=surrogate.organization_id, surrogate=surrogate, author=membership.user, body_html=clean
        )
        audit_record(actor=membership.user, action="note.added", target=surrogate, data={"note": str(note.public_id)})
    return note


def task_create(*, membership: Membership, surrogate: Surrogate, title: str, due_date=None) -> Task:
    _require(membership, perms.MANAGE_TASKS)
    _same_org(membership, surrogate)
    title = (title or "").strip()
    if not title:
        raise SurrogateError("A task needs a title.")
    if due_date is not None:
        today = timezone.localdate()
        if not today - TASK_DUE_HORIZON <= due_date <= today + TASK_DUE_HORIZON:
            raise SurrogateError("Pick a due date within ten years of today.")
    with transaction.atomic():
        task = Task.objects.create(
            organization_id=surrogate.organization_id,
            surrogate=surrogate,
            title=title,
            due_date=due_date,
            created_by=membership.user,
        )
        audit_record(
            actor=membership.user,
            action="task.created",
            target=surrogate,
            data={"task": str(task.public_id), "due_date": due_date.isoformat() if due_date else None},
        )
    return task


def task_set_completed(*, membership: Membership, task: Task, completed: bool) -> Task:
    _require(membership, perms.MANAGE_TASKS)
    _same_org(membership, task)
    with transaction.atomic():
        task.completed_at = timezone.now() if completed else None
        task.save(update_fields=["completed_at"])
        audit_record(
            actor=membership.user,
            action="task.completed" if completed else "task.reopened",
            target=task.surrogate,
            data={"task": str(task.public_id)},
        )
    return task
