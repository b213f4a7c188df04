"""Team changes by an organization's admins: change a role, deactivate, reactivate.

An organization always keeps at least one active admin: the change that would leave none is
refused. The check locks the active admins' rows first, so two admins demoting each other at the
same moment cannot both succeed. Deactivation takes effect on the member's next request
(TenantScopeMiddleware) and next WebSocket message (OrgScopedConsumer).
"""
from django.db import transaction
from django.utils import timezone

from tenants.audit import audit_record
from tenants.models import Invitation, Membership, Role
from tenants.services import TenantError


def require_team_admin(membership: Membership | None) -> None:
    if membership is None or not membership.is_active or membership.role != Role.ADMIN:
        raise TenantError("Only an administrator can manage the team.")


def _keeps_an_admin(*, member: Membership) -> None:
    """Refuse when `member` is the last active admin (called inside the atomic block)."""
    admins = list(
        Membership.objects.select_for_update()
        .filter(organization_id=member.organization_id, role=Role.ADMIN, is_active=True)
        .values_list("pk", flat=True)
    )
    if admins == [member.pk]:
        raise TenantError("An organization needs at least one active admin; make someone else an admin first.")


def _locked(member: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("user").get(pk=member.pk)


def member_change_role(*, membership: Membership, member: Membership, role: str) -> Membership:
    require_team_admin(membership)
    if role not in Role.values:
        raise TenantError("Choose a role.")
    with transaction.atomic():
        if member.role == Role.ADMIN and role != Role.ADMIN and member.is_active:
            _keeps_an_admin(member=member)
        current = _locked(member)
        if current.role == role:
            return current
        old = current.role
        current.role = role
        current.save(update_fields=["role"])
        audit_record(actor=membership.user, action="membership.role_changed", target=current, data={"from": old, "role": role})
    return current


def member_deactivate(*, membership: Membership, member: Membership) -> Membership:
    require_team_admin(membership)
    with transaction.atomic():
        if member.role == Role.ADMIN:
            _keeps_an_admin(member=member)
        current = _locked(member)
        if not current.is_active:
            raise TenantError("That member is already deactivated.")
        current.is_active = False
        current.save(update_fields=["is_active"])
        # An invitation still pending for the same address would bring them straight back.
        Invitation.objects.filter(
            organization_id=current.organization_id, email=current.user.email, state=Invitation.State.PENDING
        ).update(state=Invitation.State.REVOKED, revoked_at=timezone.now())
        audit_record(actor=membership.user, action="membership.deactivated", target=current)
    return current


def member_reactivate(*, membership: Membership, member: Membership) -> Membership:
    require_team_admin(membership)
    with transaction.atomic():
        current = _locked(member)
        if current.is_active:
            raise TenantError("That member is already active.")
        current.is_active = True
        current.save(update_fields=["is_active"])
        audit_record(actor=membership.user, action="membership.activated", target=current)
    return current
