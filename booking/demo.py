"""The demo world's booking: one link per demo organization (its case manager), two appointment
types and weekday hours. Idempotent: a second run finds everything and changes nothing."""
import datetime

from django.urls import reverse

from booking import services
from booking.models import AppointmentType, AvailabilityRule, BookingLink, MeetingMode
from tenants.models import Membership, Organization, Role

DEMO_TYPES = [
    {"name": "Intro call", "duration_minutes": 30, "meeting_mode": MeetingMode.ZOOM},
    {"name": "Screening call", "duration_minutes": 45, "meeting_mode": MeetingMode.PHONE, "buffer_after_minutes": 10},
]
DEMO_HOURS = [(weekday, datetime.time(9), datetime.time(17)) for weekday in range(5)]


def seed_booking(*, organization: Organization, membership: Membership) -> BookingLink:
    """Inside the organization's scope."""
    link = services.booking_link_ensure(membership=membership)
    if not AppointmentType.objects.filter(membership=membership).exists():
        for spec in DEMO_TYPES:
            services.appointment_type_create(membership=membership, **spec)
    if not AvailabilityRule.objects.filter(membership=membership).exists():
        for weekday, start, end in DEMO_HOURS:
            services.availability_rule_add(membership=membership, weekday=weekday, start_time=start, end_time=end)
    return link


def booking_manifest(*, organization: Organization, base_url: str) -> dict:
    """{"booking_urls": [full URL, ...], "appointment_type_ids": [uuid, ...]} for the manifest."""
    links = (
        BookingLink.objects.filter(organization=organization, is_active=True, membership__role__in=[Role.CASE_MANAGER, Role.ADMIN])
        .select_related("membership")
        .order_by("id")
    )
    urls, type_ids = [], []
    for link in links:
        urls.append(base_url + reverse("booking_public:page", args=[link.slug]))
        type_ids.extend(
            str(public_id)
            for public_id in AppointmentType.objects.filter(membership_id=link.membership_id, is_active=True)
            .order_by("name", "id")
            .values_list("public_id", flat=True)
        )
    return {"booking_urls": urls, "appointment_type_ids": type_ids}
