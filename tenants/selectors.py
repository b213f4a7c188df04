"""Reads for the team page: always filtered by the organization as well as by the scope."""
from tenants.models import Invitation, Membership


def team_members(*, organization):
    return (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .order_by("-is_active", "user__full_name", "user__email")
    )


def team_member(*, organization, public_id) -> Membership | None:
    return Membership.objects.filter(organization=organization, public_id=public_id).select_related("user").first()


def pending_invitations(*, organization):
    return Invitation.objects.filter(organization=organization, state=Invitation.State.PENDING).select_related(
        "invited_by"
    )


def team_invitation(*, organization, public_id) -> Invitation | None:
    return Invitation.objects.filter(organization=organization, public_id=public_id).first()
