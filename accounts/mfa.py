"""The second factor: a TOTP authenticator (django-otp) and single-use recovery codes.

Recovery codes are stored as HMAC-SHA256 with the server's lookup key (tenants.pii.lookup_hash),
not with a slow password hasher: each code is 50 random bits, so there is no weak secret to
stretch, a stolen table is useless without the key (kept outside the database), and a keyed hash
lets one indexed conditional UPDATE both find and spend a code, so it works exactly once even
when two requests race.
"""
import base64
import secrets

import segno
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCode
from accounts.sessions import end_all_sessions
from tenants import pii
from tenants.audit import audit_record

RECOVERY_CODE_COUNT = 8
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
RECOVERY_CODE_LENGTH = 10  # about 49 bits
DEVICE_NAME = "Authenticator app"


class MFAError(Exception):
    """A refused MFA step; the message is safe to show."""


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def session_device_is_valid(user, persistent_id: str | None) -> bool:
    """What django-otp's OTPMiddleware checks for HTTP, for callers without it (WebSockets):
    the session names a confirmed device of this user."""
    if not persistent_id:
        return False
    device = Device.from_persistent_id(persistent_id)
    return device is not None and device.user_id == user.pk and device.confirmed


def has_confirmed_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def enrollment_device(*, user) -> TOTPDevice:
    """The authenticator being set up: the same secret across reloads until it is confirmed."""
    if has_confirmed_device(user):
        raise MFAError("An authenticator is already set up for this account.")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    return device or TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)


def base32_secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def provisioning_uri(device: TOTPDevice) -> str:
    # django-otp builds the otpauth:// URI, with OTP_TOTP_ISSUER as issuer.
    return device.config_url


def qr_svg(uri: str) -> str:
    """An inline SVG (no external request, nothing for the CSP to block)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#111", light="#fff")


def _normalize_token(token: str) -> str:
    return "".join((token or "").split()).replace("-", "").lower()


def recovery_code_hash(code: str) -> str:
    return pii.lookup_hash("mfa-recovery", _normalize_token(code))


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def recovery_codes_issue(*, user) -> list[str]:
    """A fresh set of codes (the old ones stop working). The plain codes exist only in the return value."""
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=recovery_code_hash(c)) for c in codes)
    return codes


def enrollment_confirm(*, user, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a code from it; returns the recovery codes to show once."""
    token = _normalize_token(token)
    if device.user_id != user.pk or device.confirmed:
        raise MFAError("This setup has expired; start again.")
    if not token.isdigit() or not device.verify_token(token):
        raise MFAError("That code is not right. Check the time on your phone and try the newest code.")
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return recovery_codes_issue(user=user)


def _spend_recovery_code(user, token: str) -> bool:
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=recovery_code_hash(token), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def verify(*, user, token: str) -> tuple[TOTPDevice, str]:
    """Check a code from the authenticator or a recovery code. Returns (device, "totp" | "recovery")."""
    device = confirmed_device(user)
    if device is None:
        raise MFAError("Set up an authenticator first.")
    token = _normalize_token(token)
    if token.isdigit() and len(token) == device.digits:
        if device.verify_token(token):
            return device, "totp"
    elif len(token) == RECOVERY_CODE_LENGTH and _spend_recovery_code(user, token):
        return device, "recovery"
    raise MFAError("That code is not right.")


def recovery_codes_left(*, user) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def mfa_reset(*, actor, membership) -> int:
    """An admin clears a member's authenticator and recovery codes; the member enrolls again at
    the next sign-in. Every session of theirs ends now. Returns how many sessions ended."""
    user = membership.user
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        ended = end_all_sessions(user)
        audit_record(actor=actor, action="membership.mfa_reset", target=membership, data={"sessions_ended": ended})
    return ended


def demo_device(*, user) -> TOTPDevice:
    """seed_demo: a confirmed authenticator whose secret stays the same across re-runs."""
    device = confirmed_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    return device
