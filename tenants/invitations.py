"""Invitations: an admin invites an address with a role; the person behind it accepts.

The link carries a random token; only its SHA-256 is stored, so a database reader cannot use a
pending invitation. Accepting needs the signed-in account's email to be the invited one (Google
sign-in proves it; a password account's address was set by an admin, or by the invitee through
the emailed link, which proves it). Every state change is a
conditional UPDATE on the expected old state, so a double click accepts once.
"""
import datetime
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tenants.audit import audit_record
from tenants.models import Invitation, Membership, Role, User
from tenants.scope import org_scope, unscoped
from tenants.services import TenantError
from tenants.team import require_team_admin

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = datetime.timedelta(days=7)
SENDS_PER_DAY = 3
SEND_WINDOW = datetime.timedelta(days=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalised_email(raw: str) -> str:
    """One address, lower-cased; anything else (a list, a header, a control char) is refused.

    The address goes into a mail header, so commas, inner whitespace and control characters
    must not get through even where EmailValidator alone would allow them.
    """
    email = (raw or "").strip().lower()
    separators = any(ch in ",;" or ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in email)
    if not email or len(email) > 254 or separators:
        raise TenantError("Enter a valid email address.")
    try:
        EmailValidator()(email)
    except ValidationError:
        raise TenantError("Enter a valid email address.") from None
    return email


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def invitation_link(token: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('invitation-accept', args=[token])}"


def _send(invitation: Invitation, token: str) -> bool:
    """Mail the link. A mail outage leaves the invitation in place (the admin can resend)."""
    context = {
        "organization": invitation.organization,
        "role": invitation.get_role_display(),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
        "link": invitation_link(token),
        "expires_at": invitation.expires_at,
    }
    message = EmailMultiAlternatives(
        subject=render_to_string("tenants/emails/invitation_subject.txt", context).strip(),
        body=render_to_string("tenants/emails/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    )
    message.attach_alternative(render_to_string("tenants/emails/invitation.html", context), "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("Could not send invitation %s", invitation.public_id)
        return False
    return True


def invitation_create(*, membership: Membership, email: str, role: str) -> tuple[Invitation, bool]:
    """Invite `email` to the admin's organization. Returns the invitation and whether the mail went out."""
    require_team_admin(membership)
    email = normalised_email(email)
    if role not in Role.values:
        raise TenantError("Choose a role.")
    organization = membership.organization
    now = timezone.now()
    token, hashed = _new_token()
    with transaction.atomic():
        existing = Membership.objects.filter(organization=organization, user__email=email).first()
        if existing is not None and existing.is_active:
            raise TenantError("That person is already a member of this organization.")
        if existing is not None:
            raise TenantError("That person was deactivated; reactivate them on the team page instead.")
        pending = Invitation.objects.select_for_update().filter(
            organization=organization, email=email, state=Invitation.State.PENDING
        ).first()
        if pending is not None and not pending.is_expired:
            raise TenantError("That address already has a pending invitation; resend it instead.")
        if pending is not None:
            # An expired one makes way for the new one (one pending invitation per address).
            Invitation.objects.filter(pk=pending.pk).update(state=Invitation.State.REVOKED, revoked_at=now)
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            token_hash=hashed,
            invited_by=membership.user,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
            send_window_started_at=now,
            sends_in_window=1,
            last_sent_at=now,
        )
        audit_record(actor=membership.user, action="invitation.created", target=invitation, data={"role": role})
    return invitation, _send(invitation, token)


def invitation_resend(*, membership: Membership, invitation: Invitation) -> bool:
    """A fresh link (the old one stops working) and a fresh 7 days; at most SENDS_PER_DAY a day."""
    require_team_admin(membership)
    now = timezone.now()
    token, hashed = _new_token()
    with transaction.atomic():
        current = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if current.state != Invitation.State.PENDING:
            raise TenantError(f"This invitation was {current.get_state_display().lower()}; it cannot be resent.")
        window_open = now - current.send_window_started_at < SEND_WINDOW
        if window_open and current.sends_in_window >= SENDS_PER_DAY:
            raise TenantError(f"This invitation was already sent {SENDS_PER_DAY} times today; try again tomorrow.")
        current.token_hash = hashed
        current.expires_at = now + INVITATION_LIFETIME
        current.last_sent_at = now
        current.sends_in_window = current.sends_in_window + 1 if window_open else 1
        if not window_open:
            current.send_window_started_at = now
        current.save(
            update_fields=["token_hash", "expires_at", "last_sent_at", "sends_in_window", "send_window_started_at"]
        )
        audit_record(actor=membership.user, action="invitation.resent", target=current)
    return _send(current, token)


def invitation_revoke(*, membership: Membership, invitation: Invitation) -> None:
    require_team_admin(membership)
    with transaction.atomic():
        changed = Invitation.objects.filter(pk=invitation.pk, state=Invitation.State.PENDING).update(
            state=Invitation.State.REVOKED, revoked_at=timezone.now()
        )
        if not changed:
            raise TenantError("Only a pending invitation can be revoked.")
        audit_record(actor=membership.user, action="invitation.revoked", target=invitation)


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, in any state (the caller decides what each state shows)."""
    if not token or len(token) > 128:
        return None
    with unscoped():
        return Invitation.objects.select_related("organization").filter(token_hash=token_hash(token)).first()


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Make `user` a member with the invited role. Runs in the invitation's organization scope."""
    if not user.is_active:
        raise TenantError("This account is disabled.")
    if user.email.strip().lower() != invitation.email:
        raise TenantError("This invitation was sent to a different email address than the one you are signed in with.")
    now = timezone.now()
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, state=Invitation.State.PENDING, expires_at__gt=now
        ).update(state=Invitation.State.ACCEPTED, accepted_at=now, accepted_by=user)
        if not claimed:
            raise TenantError("This invitation is no longer valid. Ask your administrator for a new one.")
        membership, created = Membership.objects.get_or_create(
            organization=invitation.organization, user=user, defaults={"role": invitation.role, "is_active": True}
        )
        if not created:
            membership.role, membership.is_active = invitation.role, True
            membership.save(update_fields=["role", "is_active"])
        audit_record(actor=user, action="invitation.accepted", target=invitation, data={"role": invitation.role})
        audit_record(
            actor=user, action="membership.saved", target=membership, data={"role": invitation.role, "user_id": user.pk}
        )
    return membership


def invitations_accept_for_signin(*, email: str, user: User | None, full_name: str = "") -> User | None:
    """Google sign-in with a verified address: accept every usable invitation sent to it.

    Creates the account (no usable password) when the address has none yet. Returns the account,
    or None when there is neither an account nor an invitation.
    """
    with unscoped():
        pending = list(
            Invitation.objects.select_related("organization").filter(
                email=email, state=Invitation.State.PENDING, expires_at__gt=timezone.now()
            )
        )
    if not pending:
        return user
    with transaction.atomic():
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=(full_name or "").strip()[:150])
        for invitation in pending:
            with org_scope(invitation.organization):
                try:
                    invitation_accept(invitation=invitation, user=user)
                except TenantError:
                    continue  # revoked or accepted a moment ago: the others still count
    return user


def invitation_signup(*, invitation: Invitation, full_name: str, password: str) -> Membership:
    """A new invitee creates their password account from the link and joins in one step.

    The emailed link proves the address. Refused when an account already exists for it (that
    person signs in instead). The account is created only if the invitation is still claimable:
    both happen in one transaction, so a second submit or an expired link leaves no account.
    """
    full_name = (full_name or "").strip()
    if not full_name:
        raise TenantError("Enter your full name.")
    if len(full_name) > 150:
        raise TenantError("Your name can be at most 150 characters.")
    candidate = User(email=invitation.email, full_name=full_name)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise TenantError(" ".join(exc.messages)) from None
    try:
        with transaction.atomic():
            if User.objects.filter(email=invitation.email).exists():
                raise TenantError("An account already exists for this address; sign in to accept the invitation.")
            user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
            membership = invitation_accept(invitation=invitation, user=user)
    except IntegrityError:
        raise TenantError("An account already exists for this address; sign in to accept the invitation.") from None
    return membership
