"""Appointment emails with an .ics attachment (icalendar), times in both zones.

The visitor's email shows the time in the visitor's zone first and the staff member's zone
second; the staff member's in the other order. The .ics carries UTC instants (unambiguous in
every calendar) with a stable UID and an increasing SEQUENCE, METHOD:CANCEL on cancellation.
"""
import datetime
import zoneinfo

import icalendar
from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

REQUESTED = "requested"
CONFIRMED = "confirmed"
RESCHEDULED = "rescheduled"
CANCELLED = "cancelled"
REMINDER = "reminder"
KINDS = (REQUESTED, CONFIRMED, RESCHEDULED, CANCELLED, REMINDER)


def local_label(instant: datetime.datetime, tz_name: str) -> str:
    local = instant.astimezone(zoneinfo.ZoneInfo(tz_name))
    return f"{local:%A %-d %B %Y, %H:%M} {local.tzname()} ({tz_name})"


def build_ics(appointment, *, cancel: bool = False) -> bytes:
    staff = appointment.membership.user
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Cradle//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{appointment.public_id}@cradle")
    event.add("dtstamp", datetime.datetime.now(datetime.timezone.utc))
    event.add("dtstart", appointment.start_at.astimezone(datetime.timezone.utc))
    event.add("dtend", appointment.end_at.astimezone(datetime.timezone.utc))
    event.add("sequence", appointment.sequence)
    event.add("summary", f"{appointment.appointment_type.name} with {staff.display_name} ({appointment.organization.name})")
    event.add("location", appointment.get_meeting_mode_display())
    event.add("status", "CANCELLED" if cancel else ("CONFIRMED" if appointment.status == "confirmed" else "TENTATIVE"))
    event.add("organizer", f"mailto:{staff.email}")
    calendar.add_component(event)
    return calendar.to_ical()


def _context(appointment, *, token: str | None, base_url: str) -> dict:
    staff_tz = appointment.membership.booking_link.timezone
    return {
        "appointment": appointment,
        "type": appointment.appointment_type,
        "organization": appointment.organization,
        "staff_name": appointment.membership.user.display_name,
        "visitor_time": local_label(appointment.start_at, appointment.visitor_timezone),
        "staff_time": local_label(appointment.start_at, staff_tz),
        "manage_url": f"{base_url}{reverse('booking_public:manage', args=[token])}" if token else "",
    }


def send_appointment_email(appointment, kind: str, *, token: str | None = None, base_url: str = "") -> None:
    if kind not in KINDS:
        raise ValueError(f"Unknown email kind {kind!r}")
    context = _context(appointment, token=token, base_url=base_url)
    ics = build_ics(appointment, cancel=kind == CANCELLED)
    messages = [
        (
            appointment.visitor_email,
            render_to_string(f"booking/emails/{kind}_subject.txt", context).strip(),
            render_to_string(f"booking/emails/{kind}.txt", context),
        )
    ]
    if kind in (REQUESTED, RESCHEDULED, CANCELLED):
        messages.append(
            (
                appointment.membership.user.email,
                render_to_string("booking/emails/staff_subject.txt", {**context, "kind": kind}).strip(),
                render_to_string("booking/emails/staff.txt", {**context, "kind": kind}),
            )
        )
    for to, subject, body in messages:
        message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[to])
        message.attach("appointment.ics", ics, "text/calendar; charset=utf-8")
        message.send()
