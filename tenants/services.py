"""Organizations, accounts and memberships."""
from django.db import transaction
from django.utils.text import slugify

from tenants.audit import audit_record
from tenants.models import Membership, Organization, Role, User, validate_timezone
from tenants.scope import org_scope


class TenantError(Exception):
    """A rule refused the action; the message is safe to show."""


def organization_create(*, name: str, slug: str = "", timezone: str = "America/New_York") -> Organization:
    from surrogates.services import pipeline_install_defaults

    name = (name or "").strip()
    slug = slugify(slug or name)
    if not name or not slug:
        raise TenantError("An organization needs a name.")
    try:
        validate_timezone(timezone)
    except Exception as exc:
        raise TenantError(f"{timezone!r} is not a known IANA time zone.") from exc
    if Organization.objects.filter(slug=slug).exists():
        raise TenantError(f"An organization with slug {slug!r} already exists.")
    with transaction.atomic():
        organization = Organization.objects.create(name=name, slug=slug, timezone=timezone)
        # The tenant is born here, so this is where its scope first exists.
        with org_scope(organization):
            pipeline_install_defaults(organization=organization)
            audit_record(actor=None, action="organization.created", target=organization, data={"slug": slug})
    return organization


def member_add(
    *, organization: Organization, email: str, role: str, password: str | None = None, full_name: str = ""
) -> Membership:
    """Create the account if needed and make it a member with this role (reactivating if it was removed)."""
    if role not in Role.values:
        raise TenantError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    email = (email or "").strip().lower()
    if "@" not in email:
        raise TenantError("A valid email address is required.")
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=password, full_name=full_name)
        elif password:
            user.set_password(password)
            user.save(update_fields=["password"])
        existing = Membership.objects.filter(organization=organization, user=user).first()
        membership, _ = Membership.objects.update_or_create(
            organization=organization, user=user, defaults={"role": role, "is_active": True}
        )
        if existing is None or existing.role != role or not existing.is_active:
            # Only a real change is audited, so re-running seed_demo or create_user adds nothing.
            audit_record(
                actor=None, action="membership.saved", target=membership, data={"role": role, "user_id": user.pk}
            )
    return membership


def membership_set_active(*, membership: Membership, is_active: bool, actor=None) -> Membership:
    membership.is_active = is_active
    membership.save(update_fields=["is_active"])
    audit_record(
        actor=actor, action="membership.activated" if is_active else "membership.deactivated", target=membership
    )
    return membership
