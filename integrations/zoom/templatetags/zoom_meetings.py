"""Zoom sections included by other apps' pages: the staff list with a "Create Zoom meeting" link
(appointment and surrogate pages), and the visitor's join link on /book/manage/<token>/."""
from django import template
from django.urls import reverse

from integrations.zoom import selectors
from surrogates.selectors import panel_may_have_rows
from tenants import permissions as perms

register = template.Library()


def _staff_section(context, meetings, create_url, *, open_record=True):
    membership = context["request"].membership
    return {
        "meetings": list(meetings[:20]),
        "create_url": create_url,
        "can_create": open_record and perms.has_perm(membership, perms.EDIT_SURROGATE),
    }


@register.inclusion_tag("zoom/_staff_section.html", takes_context=True)
def appointment_zoom(context, appointment):
    return _staff_section(
        context,
        selectors.meetings_for_appointment(appointment),
        reverse("zoom:appointment-new", args=[appointment.public_id]),
        open_record=appointment.is_active,
    )


@register.inclusion_tag("zoom/_staff_section.html", takes_context=True)
def surrogate_zoom(context, surrogate):
    return _staff_section(
        context,
        # An empty list, without a query, when the detail page read that there is none.
        selectors.meetings_for_surrogate(surrogate) if panel_may_have_rows(surrogate, "zoom_meetings") else [],
        reverse("zoom:surrogate-new", args=[surrogate.public_id]),
        open_record=not surrogate.archived_at,
    )


@register.inclusion_tag("zoom/_visitor_join.html")
def visitor_zoom_join(appointment):
    return {"join_url": selectors.visitor_join_url(appointment)}
