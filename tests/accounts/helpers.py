"""Signing in the way a person does: password, then the authenticator code."""
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import mfa
from tests.conftest import PASSWORD

LOGIN_URL = "/accounts/login/"
VERIFY_URL = "/accounts/mfa/verify/"
ENROLL_URL = "/accounts/mfa/enroll/"


def password_login(client, user, **extra):
    response = client.post(LOGIN_URL, {"username": user.email, "password": PASSWORD}, **extra)
    assert response.status_code == 302, response.content[:500]
    return response


def current_code(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or in a later 30 s step, still within tolerance)."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + steps_ahead)
    return str(code).zfill(device.digits)


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """A confirmed authenticator and its recovery codes, as after the enrolment page."""
    device = mfa.enrollment_device(user=user)
    codes = mfa.enrollment_confirm(user=user, device=device, token=current_code(device))
    device.refresh_from_db()
    return device, codes


def full_login(client, user, device, **extra):
    password_login(client, user, **extra)
    response = client.post(VERIFY_URL, {"code": current_code(device, steps_ahead=1)}, **extra)
    assert response.status_code == 302, response.content[:500]
    return client
