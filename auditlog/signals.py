"""Sign-in events from Django's auth signals into every chain the account belongs to.

A failed sign-in carries only a keyed hash of the typed email; an unknown email belongs to no
organization, so it is logged (hashed) but enters no chain.
"""
import logging

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from auditlog.chain import append_for_request
from tenants.models import Membership, User
from tenants.pii import email_hash
from tenants.scope import unscoped

logger = logging.getLogger("auditlog")


def _organization_ids(user) -> list[int]:
    with unscoped():
        return list(
            Membership.objects.filter(user=user, is_active=True).values_list("organization_id", flat=True).order_by("organization_id")
        )


@receiver(user_logged_in, dispatch_uid="auditlog.login_succeeded")
def login_succeeded(sender, request, user, **kwargs):
    if request is None:
        return
    for organization_id in _organization_ids(user):
        append_for_request(request=request, organization_id=organization_id, action="auth.login_succeeded", actor=user)


@receiver(user_login_failed, dispatch_uid="auditlog.login_failed")
def login_failed(sender, credentials, request=None, **kwargs):
    typed = (credentials or {}).get("username") or (credentials or {}).get("email") or ""
    hashed = email_hash(typed)
    user = User.objects.filter(email=typed.strip().lower()).first() if typed else None
    organization_ids = _organization_ids(user) if user is not None else []
    if request is None or not organization_ids:
        logger.info("sign-in failed for an unknown account", extra={"email_hash": hashed[:16]})
        return
    for organization_id in organization_ids:
        append_for_request(
            request=request,
            organization_id=organization_id,
            action="auth.login_failed",
            data={"email_hash": hashed},
            actor=user,
        )
