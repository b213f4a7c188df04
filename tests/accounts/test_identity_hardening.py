"""Password-change rate limit, no caching of MFA/session pages, and deactivated members refused
at the password sign-in (only once the password checked out)."""
import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.invitations import invitation_create
from tenants.models import Membership, Role
from tenants.scope import org_scope, unscoped
from tests.accounts.helpers import ENROLL_URL, LOGIN_URL, VERIFY_URL, current_code, enrolled
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.postgres

PASSWORD_URL = "/accounts/password/"
REMOVED = "Your access has been removed. Ask your agency&#x27;s admin."


def test_sixth_password_change_attempt_in_a_minute_is_429_with_retry_after(client, world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, member)
    for _ in range(5):
        response = client.post(
            PASSWORD_URL, {"old_password": "guess", "new_password1": "x-Y-z-123456", "new_password2": "x-Y-z-123456"}
        )
        assert response.status_code == 400
    # The 6th, even with the right old password, is refused and changes nothing.
    response = client.post(
        PASSWORD_URL, {"old_password": PASSWORD, "new_password1": "x-Y-z-123456", "new_password2": "x-Y-z-123456"}
    )
    assert response.status_code == 429 and response["Retry-After"] == "60"
    member.user.refresh_from_db()
    assert member.user.check_password(PASSWORD)
    # Per account: another member is not held back by it.
    other = Client()
    login(other, world.member(world.org_a, Role.ADMIN))
    assert other.post(PASSWORD_URL, {"old_password": "guess"}).status_code == 400


def _no_store(response):
    assert "no-store" in response.get("Cache-Control", ""), dict(response.headers)


def test_mfa_pages_and_sessions_page_are_never_cached(world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    client = Client()
    client.post(LOGIN_URL, {"username": member.user.email, "password": PASSWORD})
    enroll = client.get(ENROLL_URL)
    assert enroll.status_code == 200 and b"<svg" in enroll.content
    _no_store(enroll)
    device = TOTPDevice.objects.get(user=member.user)
    codes = client.post(ENROLL_URL, {"code": current_code(device)})
    assert codes.status_code == 200 and b"recovery" in codes.content.lower()
    _no_store(codes)
    sessions_page = client.get("/accounts/sessions/")
    assert sessions_page.status_code == 200
    _no_store(sessions_page)
    _no_store(client.get(PASSWORD_URL))

    other = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    device, _ = enrolled(other.user)
    second = Client()
    second.post(LOGIN_URL, {"username": other.user.email, "password": PASSWORD})
    verify = second.get(VERIFY_URL)
    assert verify.status_code == 200
    _no_store(verify)
    _no_store(second.post(VERIFY_URL, {"code": "000000"}))

    admin = Client()
    login(admin, world.member(world.org_a, Role.ADMIN))
    reset = admin.post(f"/team/members/{other.public_id}/reset-mfa/")
    assert reset.status_code == 302
    _no_store(reset)


def _deactivate(membership):
    with unscoped():
        Membership.objects.filter(pk=membership.pk).update(is_active=False)


def test_deactivated_member_is_refused_at_password_login_only_after_the_right_password(world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    enrolled(member.user)
    _deactivate(member)
    client = Client()
    wrong = client.post(LOGIN_URL, {"username": member.user.email, "password": "not-it"})
    assert wrong.status_code == 200 and REMOVED not in wrong.content.decode()
    assert "Please enter a correct" in wrong.content.decode()
    right = client.post(LOGIN_URL, {"username": member.user.email, "password": PASSWORD})
    assert right.status_code == 200 and REMOVED in right.content.decode()
    assert client.session.get("_auth_user_id") is None
    assert client.get(PASSWORD_URL).status_code == 302  # to the login page


def test_superuser_and_reinvited_member_still_sign_in(world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    _deactivate(member)
    admin = world.member(world.org_a, Role.ADMIN)
    # A reactivation by invitation: the member must sign in to accept it.
    with unscoped():
        Membership.objects.filter(pk=member.pk).delete()
    with org_scope(world.org_a):
        invitation_create(membership=admin, email=member.user.email, role=Role.CASE_MANAGER)
    client = Client()
    response = client.post(LOGIN_URL, {"username": member.user.email, "password": PASSWORD})
    assert response.status_code == 302 and client.session.get("_auth_user_id") == str(member.user.pk)

    boss = world.member(world.org_b, Role.ADMIN).user
    _deactivate(world.member(world.org_b, Role.ADMIN))
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    client = Client()
    assert client.post(LOGIN_URL, {"username": boss.email, "password": PASSWORD}).status_code == 302
