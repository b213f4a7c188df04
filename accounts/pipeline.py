"""Who may finish a Google sign-in (steps of SOCIAL_AUTH_PIPELINE, after the ID token is validated).

Only a verified address, in an allowed domain when the deployment lists some, that belongs to an
existing account with an active membership, or has a pending invitation (accepted here, which
creates the membership). Nobody is created without an invitation.
"""
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from social_core.exceptions import AuthPolicyError
from social_django.models import UserSocialAuth

from tenants.invitations import invitations_accept_for_signin
from tenants.models import Membership, User
from tenants.scope import unscoped

REFUSALS = {
    "unverified_email": "Google has not verified this email address, so it cannot be used to sign in.",
    "domain_not_allowed": "Accounts from this email domain cannot sign in to this deployment.",
    "no_access": "There is no Cradle account or pending invitation for this Google account. "
    "Ask an administrator of your agency to invite you.",
    "access_removed": "Your access has been removed. Ask your agency's admin.",
    "account_disabled": "This account has been disabled. Ask an administrator of your agency.",
    "identity_changed": "This Cradle account is linked to a different Google account.",
    "other_user_signed_in": "Someone else is signed in on this browser. Sign out first, then try again.",
}


class SignInRefused(AuthPolicyError):
    """A local rule refused this sign-in; `reason` keys REFUSALS (the page shows its text)."""

    def __init__(self, backend, reason: str):
        super().__init__(backend, code="authentication_disallowed", stage="pipeline")
        self.reason = reason


def _refuse(backend, reason: str, email: str = ""):
    if email:
        # Audited exactly like a failed password sign-in (auditlog.signals: hashed email only).
        user_login_failed.send(
            sender=__name__, credentials={"email": email}, request=backend.strategy.request
        )
    raise SignInRefused(backend, reason)


def require_verified_email(backend, details, *args, **kwargs):
    claims = backend.id_token or {}
    email = details.get("email") or ""
    if not email or claims.get("email_verified") is not True:
        _refuse(backend, "unverified_email")
    allowed = [domain.lower() for domain in settings.GOOGLE_SIGNIN_ALLOWED_DOMAINS]
    if allowed and email.rsplit("@", 1)[-1] not in allowed:
        _refuse(backend, "domain_not_allowed", email)
    return {"verified_email": email}


def resolve_member(backend, details, verified_email, uid, user=None, *args, **kwargs):
    """The account this verified address signs in to (after accepting its pending invitations).

    Runs before social_user, so `user` here is whoever is already signed in on this browser.
    """
    email = verified_email
    account = User.objects.filter(email=email).first()
    if user is not None and user.is_authenticated and account != user:
        _refuse(backend, "other_user_signed_in", email)
    links = UserSocialAuth.objects.filter(provider=backend.name)
    if links.filter(uid=str(uid)).exclude(user=account).exists():
        # This Google identity is linked to an account whose address has since changed.
        _refuse(backend, "identity_changed", email)
    if account is not None and links.filter(user=account).exclude(uid=str(uid)).exists():
        # Same address, a different Google subject (a deleted and re-created Workspace account, say).
        _refuse(backend, "identity_changed", email)
    if account is not None and not account.is_active:
        _refuse(backend, "account_disabled", email)

    account = invitations_accept_for_signin(email=email, user=account, full_name=details.get("fullname") or "")
    with unscoped():
        has_membership = account is not None and Membership.objects.filter(user=account, is_active=True).exists()
    if not has_membership:
        # An account whose memberships were all deactivated is told so, not "no account".
        _refuse(backend, "access_removed" if account is not None else "no_access", email)
    return {"user": account, "is_new": False}
