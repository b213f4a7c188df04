"""Reads for Zoom meetings. Lookups filter by the member's organization explicitly (the scoped
manager is the safety net) and answer 'missing' and 'not yours' with the same 404."""
from django.http import Http404

from booking.models import AppointmentStatus
from integrations.connections.models import OAuthConnection, Provider
from integrations.zoom.models import ZoomMeeting
from tenants.models import Membership


def _zoom_connection(membership: Membership):
    return OAuthConnection.objects.filter(
        organization_id=membership.organization_id, membership_id=membership.pk, provider=Provider.ZOOM
    )


def has_zoom_connection(membership: Membership) -> bool:
    return _zoom_connection(membership).filter(status=OAuthConnection.Status.CONNECTED).exclude(access_token="").exists()


def zoom_connection_id(membership: Membership) -> int | None:
    return _zoom_connection(membership).values_list("pk", flat=True).first()


def meetings_visible_to(membership: Membership):
    """Meetings of appointments and surrogates this member can see (the same rules as those pages)."""
    from booking.selectors import appointments_visible_to
    from surrogates.selectors import surrogates_visible_to

    from django.db.models import Q

    return ZoomMeeting.objects.filter(
        Q(appointment__in=appointments_visible_to(membership)) | Q(surrogate__in=surrogates_visible_to(membership)),
        organization_id=membership.organization_id,
    ).select_related("created_by__user", "appointment", "surrogate")


def get_meeting_for_member(membership: Membership, public_id) -> ZoomMeeting:
    meeting = meetings_visible_to(membership).filter(public_id=public_id).first()
    if meeting is None:
        raise Http404("No such meeting.")
    return meeting


def meetings_for_appointment(appointment):
    return ZoomMeeting.objects.filter(organization_id=appointment.organization_id, appointment=appointment).select_related(
        "created_by__user"
    )


def meetings_for_surrogate(surrogate):
    return ZoomMeeting.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "created_by__user"
    )


def visitor_join_url(appointment) -> str:
    """The join URL the public visitor may see: only once the appointment is confirmed."""
    if appointment.status != AppointmentStatus.CONFIRMED:
        return ""
    meeting = (
        ZoomMeeting.objects.filter(
            organization_id=appointment.organization_id, appointment=appointment, status=ZoomMeeting.Status.CREATED
        )
        .order_by("-completed_at", "-id")
        .first()
    )
    return meeting.join_url if meeting else ""
