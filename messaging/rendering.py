"""Template bodies: nh3 sanitising and a whitelisted {{ variable }} substitution.

No template engine runs on staff-written text: `{{ name }}` is replaced when `name` is in
VARIABLES, with the value HTML-escaped in bodies; anything else (unknown names, filters, tags)
renders empty, so a template can neither reach attributes nor run code.
"""
import html
import re

import nh3
from django.utils import timezone
from django.utils.html import strip_tags

EMAIL_TAGS = {
    "p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote", "h1", "h2", "h3", "h4",
    "span", "div", "hr", "table", "thead", "tbody", "tr", "td", "th", "img",
}
EMAIL_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan"}, "th": {"colspan"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}

VARIABLES = {
    "full_name": "The surrogate's full name",
    "first_name": "The surrogate's first name",
    "surrogate_number": "The record number, e.g. S10001",
    "stage": "The current pipeline stage",
    "owner_name": "The record owner's name",
    "org_name": "Your agency's name",
    "sender_name": "The name of the person sending",
    "appointment_date": "Date of the next confirmed appointment",
    "appointment_time": "Time of the next confirmed appointment",
}
_VARIABLE = re.compile(r"\{\{\s*([^{}]{0,60}?)\s*\}\}")
_TEMPLATE_TAG = re.compile(r"\{%.*?%\}", re.DOTALL)


def sanitize(body_html: str) -> str:
    return nh3.clean(body_html or "", tags=EMAIL_TAGS, attributes=EMAIL_ATTRIBUTES, url_schemes=URL_SCHEMES)


def substitute(text: str, values: dict, *, escape: bool) -> str:
    def replace(match):
        value = values.get(match.group(1).strip(), "") if match.group(1).strip() in VARIABLES else ""
        value = "" if value is None else str(value)
        return html.escape(value) if escape else value

    return _TEMPLATE_TAG.sub("", _VARIABLE.sub(replace, text or ""))


def render_subject(subject: str, values: dict) -> str:
    # Headers cannot carry line breaks (header injection); collapse whitespace.
    return " ".join(substitute(subject, values, escape=False).split())[:250]


def render_body(body_html: str, values: dict) -> str:
    """Sanitised again after substitution: values are escaped, but the result is what goes out."""
    return sanitize(substitute(sanitize(body_html), values, escape=True))


def html_to_text(body_html: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>|</h\d>|</tr>", "\n", body_html)
    text = re.sub(r'(?i)<a\b[^>]*href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", text)
    return html.unescape(strip_tags(text)).strip()


def values_for(*, surrogate, sender=None) -> dict:
    """The variables for one surrogate (the caller is inside its organization's scope)."""
    from booking.models import Appointment

    organization = surrogate.organization
    values = {
        "full_name": surrogate.full_name,
        "first_name": (surrogate.full_name or "").split(" ")[0],
        "surrogate_number": surrogate.surrogate_number,
        "stage": surrogate.stage.label if surrogate.stage_id else "",
        "owner_name": surrogate.owner.display_name if surrogate.owner_id else "",
        "org_name": organization.name,
        "sender_name": sender.user.display_name if sender is not None else "",
        "appointment_date": "",
        "appointment_time": "",
    }
    appointment = (
        Appointment.objects.filter(surrogate=surrogate, status="confirmed", start_at__gt=timezone.now())
        .order_by("start_at")
        .first()
    )
    if appointment is not None:
        local = timezone.localtime(appointment.start_at, organization.tzinfo)
        values["appointment_date"] = f"{local:%A %-d %B %Y}"
        values["appointment_time"] = f"{local:%H:%M} {local.tzname()}"
    return values
