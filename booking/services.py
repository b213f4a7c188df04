"""Business rules for booking. Views, tasks and the seed call these; nothing else writes.

Keyword-only arguments; every write runs inside the caller's organization scope, in one
transaction, with one audit event (never PII in its data). A scarce slot is taken with
"lock late, re-check, write": the staff member's membership row is locked, the slot is
re-validated, and the insert/update is still refused by the PostgreSQL exclusion constraint
if anything slipped past (see migration 0002).
"""
import datetime
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking import cache, emails, selectors
from booking.models import (
    PENDING_TTL,
    TOKEN_TTL_AFTER_END,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    AvailabilityRule,
    BookingLink,
    DateOverride,
)
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership
from tenants.pii import email_hash

NO_LONGER_AVAILABLE = "Sorry, that time is no longer available. Please pick another time."
TYPE_FIELDS = (
    "name",
    "duration_minutes",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "meeting_mode",
    "reminder_hours",
    "is_active",
)


class BookingError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


class SlotUnavailable(BookingError):
    def __init__(self, message: str = NO_LONGER_AVAILABLE):
        super().__init__(message)


@dataclass
class BookingResult:
    appointment: Appointment
    created: bool
    token: str | None = None  # the raw manage token, only when just issued


def _new_token() -> tuple[str, str]:
    raw = secrets.token_urlsafe(32)
    return raw, selectors.token_hash(raw)


def _new_slug() -> str:
    return secrets.token_urlsafe(16)


def _can_manage(membership: Membership, appointment: Appointment) -> None:
    if appointment.organization_id != membership.organization_id:
        raise BookingError("That appointment belongs to another organization.")
    if appointment.membership_id != membership.pk and not selectors.sees_all_appointments(membership):
        raise BookingError("Only the staff member or an admin can change this appointment.")


def _lock_staff(membership_id) -> None:
    """Serialise slot-taking per staff member: the late lock of lock-late-recheck-write."""
    list(Membership.objects.select_for_update(no_key=True).filter(pk=membership_id).values_list("pk", flat=True))


def _expire_lapsed_overlapping(*, membership_id, blocked_start, blocked_end, now) -> None:
    """Pending requests past their time still count for the constraint until marked expired."""
    Appointment.objects.filter(
        membership_id=membership_id,
        status=AppointmentStatus.PENDING,
        expires_at__lte=now,
        blocked_start__lt=blocked_end,
        blocked_end__gt=blocked_start,
    ).update(status=AppointmentStatus.EXPIRED)
    cache.data_changed(membership_id)


def _remind_at(appointment: Appointment, hours: int, now) -> datetime.datetime | None:
    remind_at = appointment.start_at - datetime.timedelta(hours=hours)
    return remind_at if remind_at > now else None  # inside the window the confirmation is the reminder


def _place(appointment: Appointment, appointment_type: AppointmentType, start) -> None:
    appointment.start_at = start
    appointment.end_at = start + appointment_type.duration
    appointment.blocked_start = start - appointment_type.buffer_before
    appointment.blocked_end = appointment.end_at + appointment_type.buffer_after
    appointment.manage_token_expires_at = appointment.end_at + TOKEN_TTL_AFTER_END


# --- Link, types, hours ------------------------------------------------------------------------


def booking_link_ensure(*, membership: Membership) -> BookingLink:
    link = BookingLink.objects.filter(membership=membership).first()
    if link is not None:
        return link
    with transaction.atomic():
        link = BookingLink.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            slug=_new_slug(),
            timezone=membership.organization.timezone,
        )
        audit_record(actor=membership.user, action="booking.link_created", target=link, data={"timezone": link.timezone})
        cache.data_changed(membership.pk)
    return link


def booking_link_regenerate(*, membership: Membership) -> BookingLink:
    link = booking_link_ensure(membership=membership)
    with transaction.atomic():
        link.slug = _new_slug()
        link.slug_rotated_at = timezone.now()
        link.save(update_fields=["slug", "slug_rotated_at"])
        audit_record(actor=membership.user, action="booking.link_regenerated", target=link)
        cache.data_changed(membership.pk)
    return link


def booking_link_update(*, membership: Membership, timezone_name: str, is_active: bool) -> BookingLink:
    from tenants.models import validate_timezone

    link = booking_link_ensure(membership=membership)
    try:
        validate_timezone(timezone_name)
    except Exception as exc:
        raise BookingError("Unknown time zone.") from exc
    with transaction.atomic():
        link.timezone = timezone_name
        link.is_active = is_active
        link.save(update_fields=["timezone", "is_active"])
        audit_record(
            actor=membership.user,
            action="booking.link_updated",
            target=link,
            data={"timezone": timezone_name, "is_active": is_active},
        )
        cache.data_changed(membership.pk)
    return link


def appointment_type_create(*, membership: Membership, **fields) -> AppointmentType:
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise BookingError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if not (fields.get("name") or "").strip():
        raise BookingError("A name is required.")
    with transaction.atomic():
        appointment_type = AppointmentType.objects.create(
            organization_id=membership.organization_id, membership=membership, **fields
        )
        audit_record(
            actor=membership.user,
            action="booking.type_created",
            target=appointment_type,
            data={key: value for key, value in fields.items()},
        )
        cache.data_changed(membership.pk)
    return appointment_type


def appointment_type_update(*, membership: Membership, appointment_type: AppointmentType, **fields) -> AppointmentType:
    if appointment_type.membership_id != membership.pk:
        raise BookingError("You can only edit your own appointment types.")
    unknown = set(fields) - set(TYPE_FIELDS)
    if unknown:
        raise BookingError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    changed = {key: value for key, value in fields.items() if getattr(appointment_type, key) != value}
    if not changed:
        return appointment_type
    with transaction.atomic():
        for key, value in changed.items():
            setattr(appointment_type, key, value)
        appointment_type.save(update_fields=list(changed))
        audit_record(actor=membership.user, action="booking.type_updated", target=appointment_type, data=changed)
        cache.data_changed(membership.pk)
    return appointment_type


def availability_rule_add(*, membership: Membership, weekday: int, start_time, end_time) -> AvailabilityRule:
    if start_time >= end_time:
        raise BookingError("The end time must be after the start time.")
    with transaction.atomic():
        rule = AvailabilityRule.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            weekday=weekday,
            start_time=start_time,
            end_time=end_time,
        )
        audit_record(
            actor=membership.user,
            action="booking.rule_added",
            target=rule,
            data={"weekday": weekday, "start": start_time.isoformat(), "end": end_time.isoformat()},
        )
        cache.data_changed(membership.pk)
    return rule


def availability_rule_delete(*, membership: Membership, rule: AvailabilityRule) -> None:
    if rule.membership_id != membership.pk:
        raise BookingError("You can only change your own hours.")
    with transaction.atomic():
        audit_record(actor=membership.user, action="booking.rule_deleted", target=rule)
        rule.delete()
        cache.data_changed(membership.pk)


def date_override_add(*, membership: Membership, date, start_time=None, end_time=None) -> DateOverride:
    if (start_time is None) != (end_time is None):
        raise BookingError("Give both a start and an end time, or neither (unavailable all day).")
    if start_time is not None and start_time >= end_time:
        raise BookingError("The end time must be after the start time.")
    with transaction.atomic():
        override = DateOverride.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            date=date,
            start_time=start_time,
            end_time=end_time,
        )
        audit_record(
            actor=membership.user,
            action="booking.override_added",
            target=override,
            data={
                "date": date.isoformat(),
                "start": start_time.isoformat() if start_time else None,
                "end": end_time.isoformat() if end_time else None,
            },
        )
        cache.data_changed(membership.pk)
    return override


def date_override_delete(*, membership: Membership, override: DateOverride) -> None:
    if override.membership_id != membership.pk:
        raise BookingError("You can only change your own hours.")
    with transaction.atomic():
        audit_record(actor=membership.user, action="booking.override_deleted", target=override)
        override.delete()
        cache.data_changed(membership.pk)


# --- Appointments ------------------------------------------------------------------------------


def booking_request(
    *,
    link: BookingLink,
    appointment_type: AppointmentType,
    start: datetime.datetime,
    name: str,
    email: str,
    phone: str = "",
    notes: str = "",
    visitor_timezone: str,
    idempotency_key: uuid.UUID,
    base_url: str,
    now=None,
) -> BookingResult:
    """A visitor asks for a slot. The same idempotency key always answers with the same booking."""
    membership = link.membership
    existing = Appointment.objects.filter(membership=membership, idempotency_key=idempotency_key).first()
    if existing is not None:
        return BookingResult(appointment=existing, created=False)
    if appointment_type.membership_id != membership.pk or not appointment_type.is_active:
        raise BookingError("That appointment type is not available.")
    now = now or timezone.now()
    start = start.astimezone(datetime.timezone.utc)
    raw_token, hashed = _new_token()
    appointment = Appointment(
        organization_id=link.organization_id,
        membership=membership,
        appointment_type=appointment_type,
        status=AppointmentStatus.PENDING,
        expires_at=now + PENDING_TTL,
        meeting_mode=appointment_type.meeting_mode,
        visitor_name=name.strip(),
        visitor_email=email.strip(),
        visitor_email_hash=email_hash(email),
        visitor_phone=(phone or "").strip(),
        visitor_notes=(notes or "").strip(),
        visitor_timezone=visitor_timezone,
        idempotency_key=idempotency_key,
        manage_token_hash=hashed,
        created_at=now,
    )
    _place(appointment, appointment_type, start)
    with transaction.atomic():
        _lock_staff(membership.pk)
        # A concurrent retry with this key may have committed while we waited for the lock.
        existing = Appointment.objects.filter(membership=membership, idempotency_key=idempotency_key).first()
        if existing is not None:
            return BookingResult(appointment=existing, created=False)
        if not selectors.is_bookable(link=link, appointment_type=appointment_type, start=start, now=now):
            raise SlotUnavailable()
        _expire_lapsed_overlapping(
            membership_id=membership.pk,
            blocked_start=appointment.blocked_start,
            blocked_end=appointment.blocked_end,
            now=now,
        )
        try:
            with transaction.atomic():
                appointment.save()
        except IntegrityError as exc:
            raise SlotUnavailable() from exc
        audit_record(
            actor=None,
            action="booking.requested",
            target=appointment,
            data={
                "start": appointment.start_at.isoformat(),
                "type": str(appointment_type.public_id),
                "status": appointment.status,
            },
        )
        cache.data_changed(membership.pk)
        _after_commit(appointment, emails.REQUESTED, token=raw_token, base_url=base_url)
    return BookingResult(appointment=appointment, created=True, token=raw_token)


def _after_commit(appointment: Appointment, kind: str, *, token: str | None = None, base_url: str = "") -> None:
    appointment_id = appointment.pk
    organization = appointment.organization

    def send():
        from tenants.scope import org_scope

        with org_scope(organization):
            fresh = Appointment.objects.select_related("appointment_type", "membership__user", "organization").get(
                pk=appointment_id
            )
            emails.send_appointment_email(fresh, kind, token=token, base_url=base_url)

    # robust: a mail server failure is logged and does not turn a made booking into a 500.
    transaction.on_commit(send, robust=True)


def _rotate_token(appointment: Appointment) -> str:
    raw, hashed = _new_token()
    appointment.manage_token_hash = hashed
    return raw


def appointment_approve(*, membership: Membership, appointment: Appointment, base_url: str, now=None) -> Appointment:
    _can_manage(membership, appointment)
    now = now or timezone.now()
    with transaction.atomic():
        _lock_staff(appointment.membership_id)
        appointment.refresh_from_db()
        if appointment.status != AppointmentStatus.PENDING:
            raise BookingError(f"This appointment is {appointment.get_status_display().lower()}, not pending.")
        if appointment.expires_at is not None and appointment.expires_at <= now:
            Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.PENDING).update(
                status=AppointmentStatus.EXPIRED
            )
            appointment.status = AppointmentStatus.EXPIRED
            cache.data_changed(appointment.membership_id)
            raise BookingError("This request expired: it was not approved within 60 minutes.")
        link = BookingLink.objects.select_related("membership").get(membership_id=appointment.membership_id)
        if not selectors.is_bookable(
            link=link, appointment_type=appointment.appointment_type, start=appointment.start_at, now=now, exclude_pk=appointment.pk
        ):
            raise BookingError("This time is no longer free in the calendar (hours changed or it has passed).")
        token = _rotate_token(appointment)
        appointment.status = AppointmentStatus.CONFIRMED
        appointment.decided_at = now
        appointment.expires_at = None
        appointment.remind_at = _remind_at(appointment, appointment.appointment_type.reminder_hours, now)
        appointment.reminder_sent_at = None
        appointment.sequence += 1
        appointment.save(
            update_fields=[
                "status", "decided_at", "expires_at", "remind_at", "reminder_sent_at", "sequence", "manage_token_hash"
            ]
        )
        audit_record(actor=membership.user, action="booking.approved", target=appointment, data={"status": "confirmed"})
        cache.data_changed(appointment.membership_id)
        _after_commit(appointment, emails.CONFIRMED, token=token, base_url=base_url)
    return appointment


def appointment_cancel(*, appointment: Appointment, membership: Membership | None = None, now=None) -> Appointment:
    """Staff (membership given) or the visitor through the manage link (no membership)."""
    if membership is not None:
        _can_manage(membership, appointment)
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Appointment.objects.filter(
            pk=appointment.pk, status__in=[AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED]
        ).update(status=AppointmentStatus.CANCELLED, cancelled_at=now, sequence=appointment.sequence + 1)
        appointment.refresh_from_db()
        if not claimed:
            raise BookingError(f"This appointment is already {appointment.get_status_display().lower()}.")
        audit_record(
            actor=membership.user if membership else None,
            action="booking.cancelled",
            target=appointment,
            data={"by": "staff" if membership else "visitor"},
        )
        cache.data_changed(appointment.membership_id)
        _after_commit(appointment, emails.CANCELLED)
    return appointment


def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime.datetime,
    base_url: str,
    membership: Membership | None = None,
    visitor_timezone: str | None = None,
    now=None,
) -> BookingResult:
    """Move an active appointment; the manage token rotates (the new link is emailed)."""
    if membership is not None:
        _can_manage(membership, appointment)
    now = now or timezone.now()
    start = start.astimezone(datetime.timezone.utc)
    with transaction.atomic():
        _lock_staff(appointment.membership_id)
        appointment.refresh_from_db()
        if appointment.status not in (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED):
            raise BookingError(f"This appointment is {appointment.get_status_display().lower()}.")
        if appointment.status == AppointmentStatus.PENDING and appointment.expires_at <= now:
            raise BookingError("This request expired before it was approved; please book again.")
        if start == appointment.start_at:
            raise BookingError("That is the current time of this appointment.")
        appointment_type = appointment.appointment_type
        link = BookingLink.objects.select_related("membership").get(membership_id=appointment.membership_id)
        if not selectors.is_bookable(
            link=link, appointment_type=appointment_type, start=start, now=now, exclude_pk=appointment.pk
        ):
            raise SlotUnavailable()
        old_start = appointment.start_at
        _place(appointment, appointment_type, start)
        token = _rotate_token(appointment)
        appointment.sequence += 1
        appointment.reminder_sent_at = None
        if visitor_timezone:
            appointment.visitor_timezone = visitor_timezone
        if appointment.status == AppointmentStatus.CONFIRMED:
            appointment.remind_at = _remind_at(appointment, appointment_type.reminder_hours, now)
        _expire_lapsed_overlapping(
            membership_id=appointment.membership_id,
            blocked_start=appointment.blocked_start,
            blocked_end=appointment.blocked_end,
            now=now,
        )
        try:
            with transaction.atomic():
                appointment.save()
        except IntegrityError as exc:
            raise SlotUnavailable() from exc
        audit_record(
            actor=membership.user if membership else None,
            action="booking.rescheduled",
            target=appointment,
            data={"from": old_start.isoformat(), "to": start.isoformat(), "by": "staff" if membership else "visitor"},
        )
        cache.data_changed(appointment.membership_id)
        _after_commit(appointment, emails.RESCHEDULED, token=token, base_url=base_url)
    return BookingResult(appointment=appointment, created=False, token=token)


def appointment_link_surrogate(
    *, membership: Membership, appointment: Appointment, surrogate, intended_parent=None
) -> Appointment:
    """Link the appointment to the surrogate and/or intended parent it is about (None unlinks)."""
    _can_manage(membership, appointment)
    for record in (surrogate, intended_parent):
        if record is not None and record.organization_id != membership.organization_id:
            raise BookingError("That record belongs to another organization.")
    with transaction.atomic():
        appointment.surrogate = surrogate
        appointment.intended_parent = intended_parent
        appointment.save(update_fields=["surrogate", "intended_parent"])
        audit_record(
            actor=membership.user,
            action="booking.linked",
            target=appointment,
            data={
                "surrogate": str(surrogate.public_id) if surrogate else None,
                "intended_parent": str(intended_parent.public_id) if intended_parent else None,
            },
        )
    return appointment


# --- Periodic work (called by booking.tasks inside one organization's scope) ---------------------


def pending_expire(*, now=None) -> int:
    now = now or timezone.now()
    expired = 0
    for appointment in Appointment.objects.filter(status=AppointmentStatus.PENDING, expires_at__lte=now):
        with transaction.atomic():
            if Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.PENDING).update(
                status=AppointmentStatus.EXPIRED
            ):
                audit_record(actor=None, action="booking.expired", target=appointment, data={"status": "expired"})
                cache.data_changed(appointment.membership_id)
                expired += 1
    return expired


def reminders_send_due(*, now=None) -> int:
    """Send each due reminder once: claim it with a conditional UPDATE, then send."""
    now = now or timezone.now()
    due = Appointment.objects.filter(
        status=AppointmentStatus.CONFIRMED, remind_at__lte=now, reminder_sent_at__isnull=True, start_at__gt=now
    ).values_list("pk", "start_at")
    sent = 0
    for pk, start_at in due:
        claimed = Appointment.objects.filter(
            pk=pk, status=AppointmentStatus.CONFIRMED, reminder_sent_at__isnull=True, start_at=start_at
        ).update(reminder_sent_at=now)
        if not claimed:
            continue
        appointment = Appointment.objects.select_related("appointment_type", "membership__user", "organization").get(pk=pk)
        try:
            emails.send_appointment_email(appointment, emails.REMINDER)
        except Exception:
            # Not sent: release the claim so the next sweep tries again.
            Appointment.objects.filter(pk=pk, reminder_sent_at=now).update(reminder_sent_at=None)
            raise
        sent += 1
    return sent
