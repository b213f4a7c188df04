"""seed_demo: demo users come enrolled; the manifest's totp_secret is stable and signs a person in."""
import base64
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.postgres


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_demo_users_are_enrolled_with_a_stable_secret_that_signs_in(db):
    first = json.loads(run("seed_demo", "--json", "--base-url", "http://testserver"))
    devices = TOTPDevice.objects.count()
    second = json.loads(run("seed_demo", "--json", "--base-url", "http://testserver"))
    assert first == second and TOTPDevice.objects.count() == devices
    users = [user for org in first["orgs"] for user in org["users"]]
    assert len(users) == 6
    for user in users:
        assert {"email", "password", "role", "totp_secret"} <= set(user)
        padded = user["totp_secret"] + "=" * (-len(user["totp_secret"]) % 8)
        assert len(base64.b32decode(padded)) == 20

    admin = next(user for user in users if user["email"] == "admin@harbor.example.com")
    client = Client()
    client.post("/accounts/login/", {"username": admin["email"], "password": admin["password"]})
    assert client.get("/surrogates/")["Location"].startswith("/accounts/mfa/verify/")  # enrolled: no setup page
    key = base64.b32decode(admin["totp_secret"] + "=" * (-len(admin["totp_secret"]) % 8))
    before = str(totp(key)).zfill(6)
    printed = run("demo_totp", admin["email"]).strip()
    code = str(totp(key)).zfill(6)
    assert printed in {before, code}  # the same code, unless a 30 s step ended in between
    assert client.post("/accounts/mfa/verify/", {"code": code}).status_code == 302
    assert client.get("/surrogates/").status_code == 200


def test_demo_totp_refuses_unknown_users(db):
    with pytest.raises(CommandError, match="No user with an authenticator"):
        run("demo_totp", "nobody@example.com")
