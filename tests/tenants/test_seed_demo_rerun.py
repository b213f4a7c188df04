"""seed_demo run again on a demo people have used: it creates what is missing and undoes nothing
(deactivations, passwords, authenticators, signed-in sessions); the manifest follows PORT."""
import io
import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.demo_seed import DEMO_PASSWORD
from tenants.models import Membership, Organization, User
from tenants.scope import org_scope
from tenants.services import membership_set_active
from tests.conftest import login_user

pytestmark = pytest.mark.postgres


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", "--json", *args, stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def _membership(email):
    user = User.objects.get(email=email)
    organization = Organization.objects.get(slug=email.split("@")[1].split(".")[0])
    with org_scope(organization):
        return Membership.objects.select_related("user").get(user=user)


def test_a_second_run_keeps_peoples_changes_and_sessions(db):
    first = seed("--base-url", "http://testserver")
    admin = _membership("admin@harbor.example.com")
    admin_session = login_user(Client(), admin.user)
    assert admin_session.get("/surrogates/").status_code == 200
    case = _membership("case@harbor.example.com")
    with org_scope(case.organization):
        membership_set_active(membership=case, is_active=False, actor=admin.user)
    intake = _membership("intake@harbor.example.com").user
    intake.set_password("my-own-password-9")
    intake.save()
    devices = sorted(TOTPDevice.objects.values_list("id", "user_id", "key"))

    second = seed("--base-url", "http://testserver")

    assert second == first  # the manifest still lists every demo user, demo password and secret included
    assert _membership("case@harbor.example.com").is_active is False  # not reactivated
    assert authenticate(username="intake@harbor.example.com", password="my-own-password-9") is not None
    assert authenticate(username="intake@harbor.example.com", password=DEMO_PASSWORD) is None
    assert sorted(TOTPDevice.objects.values_list("id", "user_id", "key")) == devices
    assert admin_session.get("/surrogates/").status_code == 200  # still signed in


def test_what_is_missing_is_created_again(db):
    first = seed("--base-url", "http://testserver")
    User.objects.filter(email="intake@summit.example.com").delete()
    second = seed("--base-url", "http://testserver")

    def secret(manifest):
        return next(u["totp_secret"] for o in manifest["orgs"] for u in o["users"] if u["email"] == "intake@summit.example.com")

    assert secret(second) and secret(second) != secret(first)  # a new account, a new authenticator
    user = _membership("intake@summit.example.com").user
    assert authenticate(username=user.email, password=DEMO_PASSWORD) is not None
    assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_the_manifest_urls_follow_port_or_public_base_url(db, monkeypatch, settings):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8831")
    org = seed()["orgs"][0]
    assert org["dashboard_url"] == "http://127.0.0.1:8831/"
    assert all(item["url"].startswith("http://127.0.0.1:8831/surrogates/") for item in org["surrogates"])
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://demo.cradle.test")
    settings.PUBLIC_BASE_URL = "https://demo.cradle.test"
    assert seed()["orgs"][0]["dashboard_url"] == "https://demo.cradle.test/"
    assert seed("--base-url", "http://testserver")["orgs"][0]["dashboard_url"] == "http://testserver/"
