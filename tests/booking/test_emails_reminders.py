"""Emails carry an .ics built with icalendar (UTC instants, both zones in the text); reminders are
sent by the beat sweep from the database, once."""
import datetime
import zoneinfo

import icalendar
import pytest
from django.conf import settings
from django.core import mail

from booking import services
from booking.models import Appointment
from booking.tasks import booking_sweep
from tenants.scope import org_scope
from tests.booking.helpers import book, make_staff, utc

pytestmark = pytest.mark.django_db(transaction=True)
NY = zoneinfo.ZoneInfo("America/New_York")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _event(message):
    name, content, mimetype = message.attachments[0]
    assert name == "appointment.ics" and mimetype.startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(content)
    (event,) = [c for c in calendar.walk() if c.name == "VEVENT"]
    return calendar, event


@pytest.fixture
def confirmed(world):
    staff = make_staff(world, world.org_a)
    now = datetime.datetime.now(datetime.timezone.utc)
    day = (now + datetime.timedelta(days=3)).astimezone(NY).date()
    while day.weekday() > 4:
        day += datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(10)).replace(tzinfo=NY).astimezone(datetime.timezone.utc)
    with org_scope(world.org_a):
        appointment = book(staff, start, tz="Asia/Tokyo").appointment
        mail.outbox.clear()
        services.appointment_approve(membership=staff.membership, appointment=appointment, base_url="http://testserver")
        appointment.refresh_from_db()
    return staff, appointment


def test_confirmation_ics_has_the_exact_instant_and_both_zones_in_the_text(confirmed):
    staff, appointment = confirmed
    message = next(m for m in mail.outbox if m.to == ["visitor@example.com"])
    calendar, event = _event(message)
    assert str(calendar["method"]) == "REQUEST"
    assert event.decoded("dtstart") == appointment.start_at
    assert event.decoded("dtend") == appointment.end_at
    assert str(event["uid"]) == f"{appointment.public_id}@cradle"
    assert str(event["status"]) == "CONFIRMED"
    tokyo = appointment.start_at.astimezone(TOKYO)
    ny = appointment.start_at.astimezone(NY)
    assert f"{tokyo:%H:%M} {tokyo.tzname()} (Asia/Tokyo)" in message.body
    assert f"{ny:%H:%M} {ny.tzname()} (America/New_York)" in message.body
    assert ny.hour == 10


def test_cancellation_ics_cancels_the_same_uid_with_a_higher_sequence(confirmed, world):
    staff, appointment = confirmed
    mail.outbox.clear()
    with org_scope(world.org_a):
        services.appointment_cancel(membership=staff.membership, appointment=appointment)
    message = next(m for m in mail.outbox if m.to == ["visitor@example.com"])
    calendar, event = _event(message)
    assert str(calendar["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == f"{appointment.public_id}@cradle"
    assert int(event["sequence"]) > appointment.sequence - 1


def test_beat_schedule_runs_the_sweep():
    entries = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()]
    assert "booking.sweep" in entries


def test_reminder_is_sent_by_the_sweep_once(confirmed, world):
    staff, appointment = confirmed
    assert appointment.remind_at == appointment.start_at - datetime.timedelta(hours=24)
    mail.outbox.clear()
    # Not due yet: nothing.
    with org_scope(world.org_a):
        assert services.reminders_send_due(now=appointment.remind_at - datetime.timedelta(minutes=1)) == 0
    # Due: the first sweep sends it, the next one does not.
    with org_scope(world.org_a):
        Appointment.objects.filter(pk=appointment.pk).update(remind_at=datetime.datetime.now(datetime.timezone.utc))
    booking_sweep.apply()
    booking_sweep.apply()
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    assert len(reminders) == 1
    _, event = _event(reminders[0])
    assert event.decoded("dtstart") == appointment.start_at
    with org_scope(world.org_a):
        assert Appointment.objects.get(pk=appointment.pk).reminder_sent_at is not None


def test_reschedule_rearms_the_reminder(confirmed, world):
    staff, appointment = confirmed
    with org_scope(world.org_a):
        Appointment.objects.filter(pk=appointment.pk).update(reminder_sent_at=utc(2020, 1, 1))
        appointment.refresh_from_db()
        services.appointment_reschedule(
            membership=staff.membership,
            appointment=appointment,
            start=appointment.start_at + datetime.timedelta(hours=1),
            base_url="http://testserver",
        )
        moved = Appointment.objects.get(pk=appointment.pk)
    assert moved.reminder_sent_at is None
    assert moved.remind_at == moved.start_at - datetime.timedelta(hours=24)


def test_sweep_expires_lapsed_pending_requests(world):
    staff = make_staff(world, world.org_a)
    now = datetime.datetime.now(datetime.timezone.utc)
    day = (now + datetime.timedelta(days=3)).astimezone(NY).date()
    while day.weekday() > 4:
        day += datetime.timedelta(days=1)
    start = datetime.datetime.combine(day, datetime.time(11)).replace(tzinfo=NY)
    with org_scope(world.org_a):
        appointment = book(staff, start).appointment
        Appointment.objects.filter(pk=appointment.pk).update(expires_at=now - datetime.timedelta(minutes=1))
    booking_sweep.apply()
    with org_scope(world.org_a):
        assert Appointment.objects.get(pk=appointment.pk).status == "expired"
