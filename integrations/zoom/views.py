"""Zoom meeting pages. Views are adapters: resolve the appointment or surrogate through its app's
access helper (404 for other organizations), validate the form, call one service, turn a
ZoomMeetingError into a form error, redirect."""
import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from booking import selectors as booking_selectors
from integrations.zoom import selectors, services
from integrations.zoom.forms import ZoomMeetingForm
from integrations.zoom.services import ZoomMeetingError, ZoomNotConnected
from surrogates.selectors import get_surrogate_for_member
from tenants import permissions as perms
from tenants.access import member_required, require_perm

INVALID = 400


def _meeting_page(request, *, initial, appointment=None, surrogate=None, back_url):
    form = ZoomMeetingForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        require_perm(request, perms.EDIT_SURROGATE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                meeting = services.zoom_meeting_request(
                    membership=request.membership,
                    topic=data["topic"],
                    start_at=data["start_at"],
                    duration_minutes=data["duration_minutes"],
                    timezone_name=data["timezone"],
                    idempotency_key=data["idempotency_key"],
                    appointment=appointment,
                    surrogate=surrogate,
                )
            except ZoomMeetingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The Zoom meeting is being created.")
                return redirect(reverse("zoom:detail", args=[meeting.public_id]))
        status = INVALID
    return render(
        request,
        "zoom/meeting_form.html",
        {
            "form": form,
            "appointment": appointment,
            "surrogate": surrogate,
            "back_url": back_url,
            "connected": selectors.has_zoom_connection(request.membership),
            "settings_url": reverse("integrations:settings"),
        },
        status=status,
    )


@member_required
def appointment_meeting_new(request, public_id):
    appointment = booking_selectors.get_appointment_for_member(request.membership, public_id)
    link = booking_selectors.link_for(appointment.membership)
    tz = link.tzinfo if link else request.organization.tzinfo
    initial = {
        "topic": f"{appointment.appointment_type.name} · {request.organization.name}",
        "start": appointment.start_at.astimezone(tz),
        "duration_minutes": int((appointment.end_at - appointment.start_at).total_seconds() // 60),
        "timezone": str(tz),
    }
    back_url = reverse("booking:detail", args=[appointment.public_id])
    return _meeting_page(request, initial=initial, appointment=appointment, surrogate=appointment.surrogate, back_url=back_url)


@member_required
def surrogate_meeting_new(request, public_id):
    surrogate = get_surrogate_for_member(request.membership, public_id)
    tz = request.organization.tzinfo
    start = (datetime.datetime.now(tz) + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    initial = {
        "topic": f"Call with {request.organization.name} ({surrogate.surrogate_number})",
        "start": start,
        "duration_minutes": 30,
        "timezone": str(tz),
    }
    back_url = reverse("surrogates:detail", args=[surrogate.public_id])
    return _meeting_page(request, initial=initial, surrogate=surrogate, back_url=back_url)


@member_required
def meeting_detail(request, public_id):
    meeting = selectors.get_meeting_for_member(request.membership, public_id)
    return render(
        request,
        "zoom/meeting_detail.html",
        {
            "meeting": meeting,
            "is_host": meeting.created_by_id == request.membership.pk,
            "settings_url": reverse("integrations:settings"),
            "reconnect": meeting.failure_reason == services.RECONNECT_MESSAGE,
        },
    )


@member_required
@require_POST
def meeting_retry(request, public_id):
    meeting = selectors.get_meeting_for_member(request.membership, public_id)
    try:
        services.zoom_meeting_retry(membership=request.membership, meeting=meeting)
    except ZoomNotConnected:
        messages.error(request, "Connect your Zoom account first (Settings → Integrations).")
    except ZoomMeetingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Trying again.")
    return redirect(reverse("zoom:detail", args=[meeting.public_id]))
