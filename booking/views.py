"""Public booking pages. Each resolves its slug or token with public_entry (one unscoped lookup,
the same 404 for unknown/expired/revoked) and runs inside the owning organization's scope.

Rate limits (the shared limiter) are counted once the URL names a real link or token, so
unknown slugs answer 404 and cost nothing: GETs 60/min per IP, POSTs 10/min per IP.

The GETs of /book/<slug>/ and its slots check the slug on every request (one plain statement,
selectors._shown_link), then serve what booking.cache keeps under the link's data version: the
page rendered once (this request's CSRF token and a new idempotency key filled in), the slots
JSON while it stays exact. POSTs and the manage pages are never cached.
"""
import datetime
import uuid
import zoneinfo

from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_ratelimit.decorators import ratelimit

from booking import cache as booking_cache
from booking import selectors, services
from booking.forms import BookingForm, RescheduleForm, known_timezones, timezone_options, utc_iso
from booking.models import AppointmentStatus, AppointmentType
from booking.services import BookingError, SlotUnavailable
from booking.slots import epoch_us
from tenants.page_cache import RenderedPages, fill, placeholder
from tenants.public import public_entry
from tenants.ratelimits import ip_key

MAX_WINDOW_DAYS = 30
MAX_DAYS_AHEAD = 366
PAGE_RATE = "60/m"
POST_RATE = "10/m"
INVALID = 400
CONFLICT = 409


def _page_limits(view):
    view = ratelimit(group="booking:post", key=ip_key, rate=POST_RATE, method="POST", block=True)(view)
    return ratelimit(group="booking:page", key=ip_key, rate=PAGE_RATE, method=["GET", "HEAD"], block=True)(view)


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


class SlotQueryError(ValueError):
    pass


def _parse_window(request) -> tuple[str, datetime.datetime, datetime.datetime, datetime.date, datetime.date]:
    """(tz name, range start, range end, first day, last day) from ?start=&end=&tz=; SlotQueryError otherwise."""
    tz_name = request.GET.get("tz", "")
    if tz_name not in known_timezones():
        raise SlotQueryError("Unknown time zone: give an IANA name such as Europe/Paris in tz=.")
    tz = zoneinfo.ZoneInfo(tz_name)
    try:
        first = datetime.date.fromisoformat(request.GET.get("start", ""))
        last = datetime.date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        raise SlotQueryError("start and end must be dates as YYYY-MM-DD.") from None
    if last < first:
        raise SlotQueryError("end is before start.")
    today = timezone.now().astimezone(tz).date()
    if first < today - datetime.timedelta(days=1) or first > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        raise SlotQueryError(f"start must be between today and {MAX_DAYS_AHEAD} days ahead.")
    last = min(last, first + datetime.timedelta(days=MAX_WINDOW_DAYS - 1))
    range_start = datetime.datetime.combine(first, datetime.time()).replace(tzinfo=tz).astimezone(datetime.timezone.utc)
    range_end = (
        datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time())
        .replace(tzinfo=tz)
        .astimezone(datetime.timezone.utc)
    )
    return tz_name, range_start, range_end, first, last


def _slots_json(*, link, appointment_type, request, exclude_pk=None):
    try:
        tz_name, range_start, range_end, first, last = _parse_window(request)
    except SlotQueryError as exc:
        return JsonResponse({"error": str(exc)}, status=INVALID)
    slots = selectors.available_slots(
        link=link, appointment_type=appointment_type, range_start=range_start, range_end=range_end, exclude_pk=exclude_pk
    )
    return _slots_response(slots, appointment_type=appointment_type, tz_name=tz_name, first=first, last=last)


def _slots_response(slots, *, appointment_type, tz_name, first, last) -> JsonResponse:
    tz = zoneinfo.ZoneInfo(tz_name)
    payload = []
    for slot in slots:
        local = slot.start.astimezone(tz)
        payload.append(
            {
                "start": utc_iso(slot.start),
                "end": utc_iso(slot.end),
                "date": local.date().isoformat(),
                "time": f"{local:%H:%M}",
                "label": f"{local:%a %-d %b, %H:%M} {local.tzname()}",
            }
        )
    return JsonResponse(
        {
            "timezone": tz_name,
            "start": first.isoformat(),
            "end": last.isoformat(),
            "type": str(appointment_type.public_id),
            "duration_minutes": appointment_type.duration_minutes,
            "slots": payload,
        }
    )


def _visitor_when(appointment) -> str:
    tz = zoneinfo.ZoneInfo(appointment.visitor_timezone)
    local = appointment.start_at.astimezone(tz)
    return f"{local:%A %-d %B %Y, %H:%M} {local.tzname()} ({appointment.visitor_timezone})"


# --- The booking page ----------------------------------------------------------------------------


@public_entry(selectors.resolve_link)
@_page_limits
def booking_page(request, link, slug):
    if request.method == "POST":
        return _booking_post(request, link, slug, list(selectors.active_types(link.membership)))
    return _cached_page(request, link, slug)


PAGES = RenderedPages(max_entries=256)
CSRF_PLACEHOLDER = placeholder("csrf")
KEY_PLACEHOLDER = uuid.uuid4()  # the idempotency key's field is a UUID field: a UUID placeholder


def _cached_page(request, link, slug):
    """The GET page: rendered once per (link, slug, organization name and zone, staff name, data
    version), without a request; this request's CSRF token and a new idempotency key filled in."""
    organization = link.organization
    staff_name = link.membership.user.display_name
    key = (
        link.pk, link.data_version, slug, organization.pk, organization.name, organization.timezone, staff_name,
    )
    body = PAGES.get(key)
    if body is None:
        types = list(selectors.active_types(link.membership))
        form = BookingForm(initial={"idempotency_key": KEY_PLACEHOLDER, "visitor_timezone": organization.timezone})
        body = render_to_string("booking/public/book.html", {**_page_context(link, slug, types, form), "csrf_token": CSRF_PLACEHOLDER})
        PAGES.put(key, body)
    return HttpResponse(fill(body, {CSRF_PLACEHOLDER: get_token(request), str(KEY_PLACEHOLDER): str(uuid.uuid4())}))


def _page_context(link, slug, types, form) -> dict:
    return {
        "link": link,
        "staff_name": link.membership.user.display_name,
        "organization": link.organization,
        "types": types,
        "form": form,
        "timezone_options": timezone_options(form["visitor_timezone"].value()),
        "slots_url": reverse("booking_public:slots", args=[slug]),
        "selected_type": form["appointment_type"].value() or "",
    }


def _render_page(request, link, slug, types, form, status=200):
    return render(request, "booking/public/book.html", _page_context(link, slug, types, form), status=status)


def _booking_post(request, link, slug, types):
    form = BookingForm(request.POST)
    if not form.is_valid():
        return _render_page(request, link, slug, types, form, status=INVALID)
    data = form.cleaned_data
    appointment_type = next((t for t in types if t.public_id == data["appointment_type"]), None)
    if appointment_type is None:
        # A retried POST for a type switched off since still returns the booking it made.
        appointment_type = AppointmentType.objects.filter(membership=link.membership, public_id=data["appointment_type"]).first()
    if appointment_type is None:
        form.add_error("appointment_type", "That appointment type is not available.")
        return _render_page(request, link, slug, types, form, status=INVALID)
    try:
        result = services.booking_request(
            link=link,
            appointment_type=appointment_type,
            start=data["slot_start"],
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            notes=data["notes"],
            visitor_timezone=data["visitor_timezone"],
            idempotency_key=data["idempotency_key"],
            base_url=_base_url(request),
        )
    except SlotUnavailable as exc:
        form.add_error("slot_start", str(exc))
        return _render_page(request, link, slug, types, form, status=CONFLICT)
    except BookingError as exc:
        form.add_error(None, str(exc))
        return _render_page(request, link, slug, types, form, status=INVALID)
    appointment = result.appointment
    return render(
        request,
        "booking/public/booked.html",
        {
            "appointment": appointment,
            "staff_name": link.membership.user.display_name,
            "organization": link.organization,
            "when": _visitor_when(appointment),
            "created": result.created,
        },
        status=201 if result.created else 200,
    )


@public_entry(selectors.resolve_link)
@_page_limits
def booking_slots(request, link, slug):
    """Cached per (link, type, zone, dates) under the link's data version (booking.cache)."""
    try:
        type_id = uuid.UUID(request.GET.get("type", ""))
    except ValueError:
        return JsonResponse({"error": "Unknown appointment type."}, status=INVALID)
    try:
        tz_name, range_start, range_end, first, last = _parse_window(request)
    except SlotQueryError as exc:
        return JsonResponse({"error": str(exc)}, status=INVALID)
    now = timezone.now()
    now_us = epoch_us(now)
    where = {"link_id": link.pk, "type_id": type_id, "tz_name": tz_name, "first": first, "last": last}
    body = booking_cache.slots_lookup(version=link.data_version, now_us=now_us, **where)
    if body is not None:  # a type switched off or changed bumps the version, so the entry names an active one
        return HttpResponse(body, content_type="application/json")
    appointment_type = selectors.active_types(link.membership).filter(public_id=type_id).first()
    if appointment_type is None:
        return JsonResponse({"error": "Unknown appointment type."}, status=INVALID)
    slots, exact_until_us = selectors.available_slots_exact_until(
        link=link, appointment_type=appointment_type, range_start=range_start, range_end=range_end, now=now
    )
    response = _slots_response(slots, appointment_type=appointment_type, tz_name=tz_name, first=first, last=last)
    booking_cache.slots_store(
        version=link.data_version, now_us=now_us, body=response.content,
        valid_until_us=exact_until_us if exact_until_us is not None else now_us + booking_cache.SLOTS_TTL * 1_000_000,
        **where,
    )
    return response


# --- Self-service: reschedule or cancel with the emailed token ------------------------------------


@public_entry(selectors.resolve_manage_token)
@_page_limits
def manage_page(request, appointment, token):
    error = ""
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "cancel":
            try:
                services.appointment_cancel(appointment=appointment)
            except BookingError as exc:
                error, status = str(exc), INVALID
            else:
                return redirect(reverse("booking_public:manage", args=[token]) + "?done=cancelled")
        elif action == "reschedule":
            form = RescheduleForm(request.POST)
            if not form.is_valid():
                error, status = " ".join(m for errs in form.errors.values() for m in errs), INVALID
            else:
                try:
                    result = services.appointment_reschedule(
                        appointment=appointment,
                        start=form.cleaned_data["slot_start"],
                        base_url=_base_url(request),
                        visitor_timezone=form.cleaned_data.get("visitor_timezone") or None,
                    )
                except SlotUnavailable as exc:
                    error, status = str(exc), CONFLICT
                except BookingError as exc:
                    error, status = str(exc), INVALID
                else:
                    return redirect(reverse("booking_public:manage", args=[result.token]) + "?done=rescheduled")
        else:
            error, status = "Unknown action.", INVALID
        appointment.refresh_from_db()
    link = selectors.link_for(appointment.membership)
    now = timezone.now()
    can_change = appointment.status == AppointmentStatus.CONFIRMED or (
        appointment.status == AppointmentStatus.PENDING and appointment.expires_at > now
    )
    return render(
        request,
        "booking/public/manage.html",
        {
            "appointment": appointment,
            "staff_name": appointment.membership.user.display_name,
            "organization": appointment.organization,
            "when": _visitor_when(appointment),
            "can_change": can_change and not appointment.is_past(now) and link is not None,
            "status_label": appointment.get_status_display()
            if appointment.status != AppointmentStatus.PENDING or appointment.expires_at > now
            else AppointmentStatus.EXPIRED.label,
            "done": request.GET.get("done", ""),
            "error": error,
            "timezone_options": timezone_options(appointment.visitor_timezone),
            "slots_url": reverse("booking_public:manage-slots", args=[token]),
            "type": appointment.appointment_type,
        },
        status=status,
    )


@public_entry(selectors.resolve_manage_token)
@_page_limits
def manage_slots(request, appointment, token):
    link = selectors.link_for(appointment.membership)
    if link is None:
        return JsonResponse({"error": "Booking is closed."}, status=INVALID)
    return _slots_json(
        link=link, appointment_type=appointment.appointment_type, request=request, exclude_pk=appointment.pk
    )
