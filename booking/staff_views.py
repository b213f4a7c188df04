"""Staff pages for booking: appointments (approve, reschedule, cancel, link), the booking link,
appointment types and hours. Views are adapters: resolve through one access helper, validate a
form, call one service, turn a BookingError into a message, redirect.
"""
import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from booking import selectors, services
from booking.forms import (
    AppointmentTypeForm,
    LinkSettingsForm,
    LinkSurrogateForm,
    OverrideForm,
    RuleForm,
    StaffRescheduleForm,
)
from booking.models import AppointmentStatus, AvailabilityRule, DateOverride
from booking.services import BookingError
from matching.models import IntendedParent
from surrogates.selectors import surrogates_visible_to
from tenants import permissions as perms
from tenants.access import member_required

INVALID = 400
TABS = ("pending", "confirmed", "past")
RESCHEDULE_DAYS = 21


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _detail(appointment):
    return redirect(reverse("booking:detail", args=[appointment.public_id]))


@member_required
def appointment_list(request):
    show = request.GET.get("show", "pending")
    if show not in TABS:
        show = "pending"
    appointments = list(selectors.appointment_list(membership=request.membership, show=show)[:200])
    link = selectors.link_for(request.membership)
    return render(
        request,
        "booking/staff/list.html",
        {
            "appointments": appointments,
            "show": show,
            "tabs": TABS,
            "tz": link.tzinfo if link else request.organization.tzinfo,
            "sees_all": selectors.sees_all_appointments(request.membership),
        },
    )


def _reschedule_form(appointment, data=None):
    link = selectors.link_for(appointment.membership)
    if link is None:
        return None
    now = timezone.now()
    slots = selectors.available_slots(
        link=link,
        appointment_type=appointment.appointment_type,
        range_start=now,
        range_end=now + datetime.timedelta(days=RESCHEDULE_DAYS),
        exclude_pk=appointment.pk,
    )
    return StaffRescheduleForm(data, slots=slots, tz=link.tzinfo)


def _link_form(request, appointment, data=None):
    parents = IntendedParent.objects.order_by("number")
    if not perms.has_perm(request.membership, perms.MANAGE_MATCHES):
        parents = parents.none()
    return LinkSurrogateForm(
        data,
        queryset=surrogates_visible_to(request.membership).filter(archived_at__isnull=True).order_by("number"),
        parents=parents,
        initial={
            "surrogate": appointment.surrogate.public_id if appointment.surrogate else None,
            "intended_parent": appointment.intended_parent.public_id if appointment.intended_parent else None,
        },
    )


@member_required
def appointment_detail(request, public_id):
    appointment = selectors.get_appointment_for_member(request.membership, public_id)
    return _render_detail(request, appointment)


def _render_detail(request, appointment, *, reschedule_form=None, link_form=None, status=200):
    link = selectors.link_for(appointment.membership)
    now = timezone.now()
    active = appointment.status == AppointmentStatus.CONFIRMED or (
        appointment.status == AppointmentStatus.PENDING and appointment.expires_at > now
    )
    return render(
        request,
        "booking/staff/detail.html",
        {
            "appointment": appointment,
            "tz": link.tzinfo if link else request.organization.tzinfo,
            "is_pending": appointment.status == AppointmentStatus.PENDING and appointment.expires_at > now,
            "is_lapsed": appointment.status == AppointmentStatus.PENDING and appointment.expires_at <= now,
            "active": active and not appointment.is_past(now),
            "reschedule_form": reschedule_form or (_reschedule_form(appointment) if active else None),
            "link_form": link_form or _link_form(request, appointment),
        },
        status=status,
    )


@member_required
@require_POST
def appointment_approve(request, public_id):
    appointment = selectors.get_appointment_for_member(request.membership, public_id)
    try:
        services.appointment_approve(membership=request.membership, appointment=appointment, base_url=_base_url(request))
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Approved; the visitor has been emailed.")
    return _detail(appointment)


@member_required
@require_POST
def appointment_cancel(request, public_id):
    appointment = selectors.get_appointment_for_member(request.membership, public_id)
    try:
        services.appointment_cancel(membership=request.membership, appointment=appointment)
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Cancelled; the time is free again.")
    return _detail(appointment)


@member_required
@require_POST
def appointment_reschedule(request, public_id):
    appointment = selectors.get_appointment_for_member(request.membership, public_id)
    form = _reschedule_form(appointment, request.POST)
    if form is None or not form.is_valid():
        return _render_detail(request, appointment, reschedule_form=form, status=INVALID)
    try:
        services.appointment_reschedule(
            membership=request.membership,
            appointment=appointment,
            start=form.cleaned_data["slot_start"],
            base_url=_base_url(request),
        )
    except BookingError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, appointment, reschedule_form=form, status=INVALID)
    messages.success(request, "Moved; the visitor has been emailed a new link.")
    return _detail(appointment)


@member_required
@require_POST
def appointment_link(request, public_id):
    appointment = selectors.get_appointment_for_member(request.membership, public_id)
    form = _link_form(request, appointment, request.POST)
    if not form.is_valid():
        return _render_detail(request, appointment, link_form=form, status=INVALID)
    try:
        services.appointment_link_surrogate(
            membership=request.membership,
            appointment=appointment,
            surrogate=form.cleaned_data["surrogate"],
            intended_parent=form.cleaned_data["intended_parent"],
        )
    except BookingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Link saved.")
    return _detail(appointment)


# --- My booking link, types and hours -----------------------------------------------------------


@member_required
def booking_settings(request):
    membership = request.membership
    link = services.booking_link_ensure(membership=membership)
    form = LinkSettingsForm(request.POST or None, initial={"timezone": link.timezone, "is_active": link.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_link_update(
                membership=membership, timezone_name=form.cleaned_data["timezone"], is_active=form.cleaned_data["is_active"]
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("booking:settings")
    return _render_settings(request, link, link_form=form, status=INVALID if request.method == "POST" else 200)


def _render_settings(request, link, *, link_form=None, rule_form=None, override_form=None, status=200):
    membership = request.membership
    return render(
        request,
        "booking/staff/settings.html",
        {
            "link": link,
            "public_url": request.build_absolute_uri(reverse("booking_public:page", args=[link.slug])),
            "link_form": link_form or LinkSettingsForm(initial={"timezone": link.timezone, "is_active": link.is_active}),
            "types": membership.appointment_types.all(),
            "rules": AvailabilityRule.objects.filter(membership=membership),
            "overrides": DateOverride.objects.filter(membership=membership, date__gte=timezone.now().date()),
            "rule_form": rule_form or RuleForm(),
            "override_form": override_form or OverrideForm(),
        },
        status=status,
    )


@member_required
@require_POST
def link_regenerate(request):
    services.booking_link_regenerate(membership=request.membership)
    messages.success(request, "New booking link made; the old one no longer works.")
    return redirect("booking:settings")


@member_required
def type_create(request):
    form = AppointmentTypeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_type_create(membership=request.membership, **form.cleaned_data)
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Appointment type added.")
            return redirect("booking:settings")
    status = INVALID if request.method == "POST" else 200
    return render(request, "booking/staff/type_form.html", {"form": form, "appointment_type": None}, status=status)


@member_required
def type_edit(request, public_id):
    appointment_type = selectors.get_own_type(request.membership, public_id)
    form = AppointmentTypeForm(request.POST or None, instance=None, initial={
        field: getattr(appointment_type, field) for field in services.TYPE_FIELDS
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_type_update(
                membership=request.membership, appointment_type=appointment_type, **form.cleaned_data
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Saved.")
            return redirect("booking:settings")
    status = INVALID if request.method == "POST" else 200
    return render(
        request, "booking/staff/type_form.html", {"form": form, "appointment_type": appointment_type}, status=status
    )


@member_required
@require_POST
def rule_add(request):
    form = RuleForm(request.POST)
    link = services.booking_link_ensure(membership=request.membership)
    if not form.is_valid():
        return _render_settings(request, link, rule_form=form, status=INVALID)
    try:
        services.availability_rule_add(membership=request.membership, **form.cleaned_data)
    except BookingError as exc:
        form.add_error(None, str(exc))
        return _render_settings(request, link, rule_form=form, status=INVALID)
    messages.success(request, "Hours added.")
    return redirect("booking:settings")


@member_required
@require_POST
def rule_delete(request, public_id):
    rule = selectors.get_own_rule(request.membership, public_id)
    services.availability_rule_delete(membership=request.membership, rule=rule)
    messages.success(request, "Hours removed.")
    return redirect("booking:settings")


@member_required
@require_POST
def override_add(request):
    form = OverrideForm(request.POST)
    link = services.booking_link_ensure(membership=request.membership)
    if not form.is_valid():
        return _render_settings(request, link, override_form=form, status=INVALID)
    try:
        services.date_override_add(membership=request.membership, **form.cleaned_data)
    except BookingError as exc:
        form.add_error(None, str(exc))
        return _render_settings(request, link, override_form=form, status=INVALID)
    messages.success(request, "Date override added.")
    return redirect("booking:settings")


@member_required
@require_POST
def override_delete(request, public_id):
    override = selectors.get_own_override(request.membership, public_id)
    services.date_override_delete(membership=request.membership, override=override)
    messages.success(request, "Date override removed.")
    return redirect("booking:settings")
