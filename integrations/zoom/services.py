"""Writes for Zoom meetings. Views and the task call these; nothing else writes ZoomMeeting.

Two steps, like an email send. `zoom_meeting_request` (in the request) validates, writes one
ZoomMeeting per idempotency key (a repeat returns the first) and enqueues the task on commit.
`zoom_meeting_deliver` (in the task) claims the row (integrations.leases), reconciles first when
an earlier attempt may have created the meeting, calls Zoom at most once per claim, and
finalises under the claim version.
"""
import datetime
import logging
import zoneinfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from integrations import leases
from integrations.connections import ReconnectNeeded, TokenUnavailable, fresh_access_token
from integrations.connections.tokens import mark_reconnect_needed
from integrations.zoom.client import ZoomAmbiguous, ZoomAuthError, ZoomClient, ZoomError, ZoomNotCreated
from integrations.zoom.models import MAX_DURATION_MINUTES, ZoomMeeting
from integrations.zoom.selectors import has_zoom_connection, zoom_connection_id
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
STALLED_AFTER = datetime.timedelta(minutes=5)
GIVE_UP_RESUMING_AFTER = datetime.timedelta(days=7)
DONE, RETRY = leases.DONE, leases.RETRY
RECONNECT_MESSAGE = "Connect your Zoom account in Settings → Integrations, then try again."
LEASE = leases.LeaseSpec(
    model=ZoomMeeting,
    ready=ZoomMeeting.Status.PENDING,
    busy=ZoomMeeting.Status.CREATING,
    state_field="status",
    error_field="failure_reason",
)


class ZoomMeetingError(Exception):
    """A rule refused the request; the message is safe to show to the user."""


class ZoomNotConnected(ZoomMeetingError):
    """The member has no usable Zoom connection: the page links to the integrations settings."""


# --- Requesting a meeting (in the request) ------------------------------------------------------


def _clean(*, topic: str, start_at, duration_minutes: int, timezone_name: str) -> tuple[str, datetime.datetime]:
    topic = " ".join((topic or "").split())
    if not topic or len(topic) > 200:
        raise ZoomMeetingError("A meeting needs a topic of at most 200 characters.")
    if start_at is None or timezone.is_naive(start_at):
        raise ZoomMeetingError("Enter the start date and time.")
    if start_at <= timezone.now():
        raise ZoomMeetingError("The meeting must start in the future.")
    if not 1 <= int(duration_minutes) <= MAX_DURATION_MINUTES:
        raise ZoomMeetingError(f"The duration must be between 1 and {MAX_DURATION_MINUTES} minutes.")
    if timezone_name not in zoneinfo.available_timezones():
        raise ZoomMeetingError("Choose a known time zone.")
    return topic, start_at.replace(microsecond=0)


def zoom_meeting_request(
    *,
    membership: Membership,
    topic: str,
    start_at: datetime.datetime,
    duration_minutes: int,
    timezone_name: str,
    idempotency_key: str,
    appointment=None,
    surrogate=None,
) -> ZoomMeeting:
    """A meeting for an appointment and/or a surrogate (which the view resolved for this member)."""
    if not perms.has_perm(membership, perms.EDIT_SURROGATE):
        raise ZoomMeetingError("Your role does not allow this.")
    if appointment is None and surrogate is None:
        raise ZoomMeetingError("A meeting belongs to an appointment or a surrogate.")
    for subject in (appointment, surrogate):
        if subject is not None and subject.organization_id != membership.organization_id:
            raise ZoomMeetingError("That record belongs to another organization.")
    if appointment is not None and not appointment.is_active:
        raise ZoomMeetingError("This appointment is cancelled or expired; it needs no meeting.")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 40:
        raise ZoomMeetingError("The form expired; open it again.")
    topic, start_at = _clean(topic=topic, start_at=start_at, duration_minutes=duration_minutes, timezone_name=timezone_name)
    if not has_zoom_connection(membership):
        raise ZoomNotConnected("Your Zoom account is not connected.")
    key = f"m{membership.pk}-{key}"
    existing = ZoomMeeting.objects.filter(organization_id=membership.organization_id, idempotency_key=key).first()
    if existing is not None:
        return existing
    meeting = ZoomMeeting(
        organization_id=membership.organization_id,
        created_by=membership,
        appointment=appointment,
        surrogate=surrogate,
        topic=topic,
        start_at=start_at,
        duration_minutes=int(duration_minutes),
        timezone=timezone_name,
        idempotency_key=key,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                meeting.save()
        except IntegrityError:
            return ZoomMeeting.objects.get(organization_id=membership.organization_id, idempotency_key=key)
        audit_record(
            actor=membership.user,
            action="zoom_meeting.requested",
            target=meeting,
            data={
                "appointment": str(appointment.public_id) if appointment else None,
                "surrogate": str(surrogate.public_id) if surrogate else None,
                "start_at": start_at.isoformat(),
                "duration_minutes": int(duration_minutes),
            },
        )
        _enqueue(meeting)
    return meeting


def _enqueue(meeting: ZoomMeeting) -> None:
    from integrations.zoom.tasks import create_zoom_meeting

    transaction.on_commit(
        lambda: create_zoom_meeting.delay(organization_id=meeting.organization_id, zoom_meeting_id=meeting.pk)
    )


def zoom_meeting_retry(*, membership: Membership, meeting: ZoomMeeting) -> ZoomMeeting:
    """Try a failed meeting again (e.g. after reconnecting Zoom): same row, same key, fresh attempts."""
    if not perms.has_perm(membership, perms.EDIT_SURROGATE):
        raise ZoomMeetingError("Your role does not allow this.")
    if meeting.created_by_id != membership.pk:
        raise ZoomMeetingError("Only the member who asked for this meeting can retry it (it is created in their Zoom account).")
    if not has_zoom_connection(membership):
        raise ZoomNotConnected("Your Zoom account is not connected.")
    with transaction.atomic():
        # Back to pending only from failed; a create that may have landed was already reconciled.
        changed = ZoomMeeting.objects.filter(pk=meeting.pk, status=ZoomMeeting.Status.FAILED).update(
            status=ZoomMeeting.Status.PENDING, attempts=0, failure_reason=""
        )
        if not changed:
            raise ZoomMeetingError("Only a failed meeting can be tried again.")
        audit_record(actor=membership.user, action="zoom_meeting.retried", target=meeting)
        _enqueue(meeting)
    meeting.refresh_from_db()
    return meeting


# --- Creating it on Zoom (inside the Celery task) -----------------------------------------------


def _client_for(meeting: ZoomMeeting) -> ZoomClient:
    membership = meeting.created_by
    if membership is None:
        raise ReconnectNeeded("The member who asked for this meeting is gone.")
    return ZoomClient(token_source=lambda: fresh_access_token(membership, "zoom"))


def _created(claim: leases.Claim, meeting: ZoomMeeting, found: dict, how: str) -> tuple[str, None]:
    finished = claim.finish(
        ZoomMeeting.Status.CREATED,
        zoom_meeting_id=found["id"],
        join_url=found["join_url"],
        start_url=found["start_url"],
        failure_reason="",
        completed_at=timezone.now(),
    )
    if finished:
        audit_record(actor=None, action="zoom_meeting.created", target=meeting, data={"zoom_meeting_id": found["id"]})
    logger.info("zoom meeting %s %s (zoom id %s)", meeting.public_id, how, found["id"])
    return DONE, None


def _fail(claim: leases.Claim, meeting: ZoomMeeting, reason: str) -> tuple[str, None]:
    if claim.finish(ZoomMeeting.Status.FAILED, failure_reason=reason[:300], completed_at=timezone.now()):
        audit_record(actor=None, action="zoom_meeting.failed", target=meeting, data={"reason": reason[:120]})
    logger.warning("zoom meeting %s failed: %s", meeting.public_id, reason[:120])
    return DONE, None


def _reconnect(claim, meeting, exc) -> tuple[str, None]:
    if isinstance(exc, ZoomAuthError) and meeting.created_by is not None:
        # Zoom refused a token the connection thought valid: every later call stops at once.
        connection_id = zoom_connection_id(meeting.created_by)
        if connection_id is not None:
            mark_reconnect_needed(connection_id=connection_id, reason=f"Zoom refused the token ({exc.status})")
    return _fail(claim, meeting, RECONNECT_MESSAGE)


def zoom_meeting_deliver(*, zoom_meeting_id: int) -> tuple[str, float | None]:
    """Create one requested meeting at most once. Returns (DONE, None) or (RETRY, countdown)."""
    meeting = ZoomMeeting.objects.select_related("created_by__user").filter(pk=zoom_meeting_id).first()
    if meeting is None or meeting.is_done:
        return DONE, None
    claim = leases.claim(LEASE, meeting, lease_seconds=settings.ZOOM_CREATE_LEASE_SECONDS)
    if not isinstance(claim, leases.Claim):
        return RETRY, claim  # another worker holds it: wait for its lease to lapse
    claim.update(claimed_at=timezone.now())
    attempts = meeting.attempts
    try:
        client = _client_for(meeting)
        if claim.maybe_sent:
            # An earlier attempt may have created it: look it up by our tracking field first.
            try:
                found = client.find_by_tracking_value(meeting.idempotency_key, start_at=meeting.start_at, topic=meeting.topic)
            except (ZoomAuthError, ReconnectNeeded):
                raise
            except (ZoomError, TokenUnavailable) as exc:
                # Still unknown whether it exists: stay `creating`, try again later.
                claim.lapse(f"reconcile failed: {exc}")
                return RETRY, leases.backoff(attempts, settings.ZOOM_RETRY_BASE_SECONDS)
            if found is not None:
                return _created(claim, meeting, found, "reconciled: it had been created")
        if attempts >= MAX_ATTEMPTS:
            return _fail(claim, meeting, f"gave up after {attempts} attempts: {meeting.failure_reason}")
        # Counted before the call: a crash from here on leaves `creating`, which forces a
        # reconcile before anyone creates again.
        attempts += 1
        claim.update(attempts=attempts)
        created = client.create_meeting(
            topic=meeting.topic,
            start_at=meeting.start_at,
            duration_minutes=meeting.duration_minutes,
            timezone=meeting.timezone,
            tracking_value=meeting.idempotency_key,
        )
    except (ZoomAuthError, ReconnectNeeded) as exc:
        return _reconnect(claim, meeting, exc)
    except (ZoomNotCreated, TokenUnavailable) as exc:
        # Provably not created: release the claim (back to pending) and retry later, bounded.
        if attempts >= MAX_ATTEMPTS:
            return _fail(claim, meeting, str(exc))
        claim.release(str(exc))
        return RETRY, leases.backoff(attempts, settings.ZOOM_RETRY_BASE_SECONDS)
    except ZoomAmbiguous as exc:
        # Maybe created: stay `creating` with the lease lapsed; the next attempt reconciles first.
        claim.lapse(str(exc))
        return RETRY, leases.backoff(attempts, settings.ZOOM_RETRY_BASE_SECONDS)
    except ZoomError as exc:  # permanent (400, 404): never retried
        return _fail(claim, meeting, str(exc))
    return _created(claim, meeting, created, f"created (attempt {attempts})")


def stalled_meetings(*, now=None) -> list[tuple[int, int]]:
    """(organization id, meeting id) of requests no task is working on: pending for a while (a lost
    enqueue) or `creating` with a lapsed lease after the task ran out of retries. Ops code: the
    caller runs it unscoped; re-enqueueing is safe because the claim decides who calls Zoom."""
    now = now or timezone.now()
    lapsed = now - datetime.timedelta(seconds=settings.ZOOM_CREATE_LEASE_SECONDS) - STALLED_AFTER
    return list(
        ZoomMeeting.objects.filter(
            Q(status=ZoomMeeting.Status.PENDING, created_at__lte=now - STALLED_AFTER)
            | Q(status=ZoomMeeting.Status.CREATING, lease_until__lte=lapsed)
            | Q(status=ZoomMeeting.Status.CREATING, lease_until__isnull=True),
            created_at__gte=now - GIVE_UP_RESUMING_AFTER,
        ).values_list("organization_id", "pk")[:500]
    )
