"""MFA: enrolment on first sign-in, the gate before verification, recovery codes, rate limit, admin reset."""
import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCode
from auditlog.models import AuditEntry
from tenants.models import ActivityEvent, Role
from tenants.scope import org_scope, unscoped
from tests.accounts.helpers import ENROLL_URL, VERIFY_URL, current_code, enrolled, full_login, password_login
from tests.conftest import login

pytestmark = pytest.mark.postgres


@pytest.fixture
def case_a(world):
    return world.member(world.org_a, Role.CASE_MANAGER)


def test_first_sign_in_requires_enrolment_then_shows_recovery_codes_once(client, world, case_a):
    user = case_a.user
    password_login(client, user)
    held = client.get("/surrogates/")
    assert held.status_code == 302 and held["Location"].startswith(ENROLL_URL)
    assert "next=%2Fsurrogates%2F" in held["Location"]

    page = client.get(held["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    uri = re.search(r'data-testid="totp-uri">([^<]+)<', body).group(1)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', body).group(1)
    assert uri.startswith("otpauth://totp/") and "issuer=Cradle" in uri and f"secret={secret}" in uri
    assert "<svg" in body and "http" not in body.split("<svg", 1)[1].split("</svg>")[0].replace("http://www.w3.org", "")

    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed
    wrong = client.post(ENROLL_URL, {"code": "000000", "next": "/surrogates/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()

    # django-otp also slows guessing down (1 s after a failure, doubling): the person retries later.
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5)):
        done = client.post(ENROLL_URL, {"code": current_code(device), "next": "/surrogates/"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.content.decode())
    assert len(codes) == 8 and len(set(codes)) == 8
    # Stored hashed: no code appears in the table.
    with connection.cursor() as cursor:
        cursor.execute("SELECT code_hash FROM accounts_recoverycode WHERE user_id = %s", [user.pk])
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 8 and not set(stored) & ({c.replace("-", "") for c in codes} | set(codes))

    assert client.get("/surrogates/").status_code == 200  # this session is verified now
    # Shown once: the enrolment page does not show them again (it sends a verified user on).
    assert client.get(ENROLL_URL).status_code == 302


def test_every_kind_of_page_is_refused_before_verification(client, world, case_a):
    enrolled(case_a.user)
    admin = world.member(world.org_a, Role.ADMIN)
    password_login(client, case_a.user)

    for url in ("/", "/surrogates/", "/matches/", "/booking/", "/email/campaigns/", "/admin/", "/accounts/sessions/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY_URL), url
    # Writes are refused outright (a redirect would drop the body).
    for url in ("/surrogates/new/", "/orgs/switch/", "/accounts/sessions/sign-out-others/"):
        assert client.post(url, {"full_name": "Sneaky"}).status_code == 403, url
    with unscoped():
        admin_membership_id = admin.public_id
    assert client.post(f"/team/members/{admin_membership_id}/reset-mfa/").status_code == 403
    # Script callers get JSON, not an HTML redirect.
    api = client.get("/surrogates/", HTTP_ACCEPT="application/json")
    assert api.status_code == 403 and api.json()["mfa_required"] is True
    # What does work: the MFA pages, health probes, static files' prefix, sign out.
    assert client.get(VERIFY_URL).status_code == 200
    assert client.get("/healthz").status_code == 200
    with org_scope(world.org_a):
        assert not ActivityEvent.objects.filter(action__startswith="surrogate.").exists()
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/surrogates/").status_code == 302
    assert client.get("/surrogates/")["Location"].startswith("/accounts/login/")


def test_password_then_code_opens_the_app(client, world, case_a):
    device, _ = enrolled(case_a.user)
    password_login(client, case_a.user)
    response = client.post(VERIFY_URL, {"code": current_code(device, steps_ahead=1), "next": "/matches/"})
    assert response.status_code == 302 and response["Location"] == "/matches/"
    assert client.get("/surrogates/").status_code == 200


def test_next_must_be_local(client, world, case_a):
    device, _ = enrolled(case_a.user)
    password_login(client, case_a.user)
    response = client.post(VERIFY_URL, {"code": current_code(device, steps_ahead=1), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/surrogates/"


def test_a_recovery_code_works_exactly_once(client, world, case_a):
    _, codes = enrolled(case_a.user)
    password_login(client, case_a.user)
    first = client.post(VERIFY_URL, {"code": codes[0].upper()})  # typed in capitals: still fine
    assert first.status_code == 302
    assert client.get("/surrogates/").status_code == 200
    assert RecoveryCode.objects.filter(user=case_a.user, used_at__isnull=False).count() == 1

    client.post("/accounts/logout/")
    password_login(client, case_a.user)
    again = client.post(VERIFY_URL, {"code": codes[0]})
    assert again.status_code == 400 and "not right" in again.content.decode()
    assert client.get("/surrogates/").status_code == 302
    assert client.post(VERIFY_URL, {"code": codes[1]}).status_code == 302


def test_five_wrong_codes_then_429(client, world, case_a):
    enrolled(case_a.user)
    password_login(client, case_a.user)
    for _ in range(5):
        assert client.post(VERIFY_URL, {"code": "123456"}).status_code == 400
    blocked = client.post(VERIFY_URL, {"code": "123456"})
    assert blocked.status_code == 429
    assert blocked["Retry-After"] == "60"
    assert "Too many code attempts" in blocked.content.decode()
    assert client.get("/surrogates/").status_code == 302  # still not in


def test_the_limit_is_per_user_not_per_address(world, case_a):
    from django.test import Client

    other = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    enrolled(case_a.user)
    other_device, _ = enrolled(other.user)
    first, second = Client(), Client()
    password_login(first, case_a.user)
    for _ in range(6):
        first.post(VERIFY_URL, {"code": "123456"})
    password_login(second, other.user)
    assert second.post(VERIFY_URL, {"code": current_code(other_device, steps_ahead=1)}).status_code == 302


# --- Admin reset --------------------------------------------------------------------------------------


def test_admin_resets_a_members_mfa_audited_and_their_sessions_end(client, world, case_a, django_user_model):
    from django.test import Client

    admin = world.member(world.org_a, Role.ADMIN)
    enrolled(case_a.user)
    member_client = login(Client(), case_a)
    assert member_client.get("/surrogates/").status_code == 200

    login(client, admin)
    team = client.get("/team/").content.decode()
    assert f'action="/team/members/{case_a.public_id}/reset-mfa/"' in team
    response = client.post(f"/team/members/{case_a.public_id}/reset-mfa/", {"back": "/team/"})
    assert response.status_code == 302 and response["Location"] == "/team/"
    assert not TOTPDevice.objects.filter(user=case_a.user).exists()
    assert not RecoveryCode.objects.filter(user=case_a.user).exists()
    # Their open session is gone at once.
    after = member_client.get("/surrogates/")
    assert after.status_code == 302 and after["Location"].startswith("/accounts/login/")
    with org_scope(world.org_a):
        event = ActivityEvent.objects.get(action="membership.mfa_reset")
        assert event.actor_id == admin.user_id and event.target_id == str(case_a.public_id)
        assert AuditEntry.objects.filter(action="membership.mfa_reset").exists()
    # At the next sign-in they enroll again.
    password_login(member_client, case_a.user)
    assert member_client.get("/surrogates/")["Location"].startswith(ENROLL_URL)


def test_reset_mfa_outsider_gets_404_and_nothing_changes(client, world):
    admin_a = world.member(world.org_a, Role.ADMIN)
    case_b = world.member(world.org_b, Role.CASE_MANAGER)
    device, _ = enrolled(case_b.user)
    login(client, admin_a)
    assert client.post(f"/team/members/{case_b.public_id}/reset-mfa/").status_code == 404
    assert client.post("/team/members/00000000-0000-0000-0000-000000000000/reset-mfa/").status_code == 404
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


def test_reset_mfa_is_admin_only_and_post_only(client, world, case_a):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    device, _ = enrolled(case_a.user)
    login(client, intake)
    assert client.post(f"/team/members/{case_a.public_id}/reset-mfa/").status_code == 403
    login(client, world.member(world.org_a, Role.ADMIN))
    assert client.get(f"/team/members/{case_a.public_id}/reset-mfa/").status_code == 405
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_websocket_needs_a_verified_session_too(world):
    from django.test import Client

    from tenants.consumers import CLOSE_UNAUTHENTICATED
    from tests.tenants.test_websocket_scope import ALLOWED_ORIGIN, connect

    case = world.member(world.org_a, Role.CASE_MANAGER)
    enrolled(case.user)
    half = Client()
    password_login(half, case.user)
    cookie = f"sessionid={half.cookies['sessionid'].value}".encode()
    connected, code, _ = connect([(b"origin", ALLOWED_ORIGIN), (b"cookie", cookie)])
    assert not connected and code == CLOSE_UNAUTHENTICATED
    verified = login(Client(), case)
    cookie = f"sessionid={verified.cookies['sessionid'].value}".encode()
    assert connect([(b"origin", ALLOWED_ORIGIN), (b"cookie", cookie)])[0]
