"""A new invitee without Google creates their password account from the invitation link, then
enrols MFA; the link stays single-use and a dead link creates nothing; existing users sign in."""
import re

import pytest
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tenants.invitations import invitation_create
from tenants.models import Invitation, Membership, Role, User
from tenants.scope import org_scope, unscoped
from tests.accounts.helpers import ENROLL_URL, current_code
from tests.conftest import PASSWORD

pytestmark = pytest.mark.postgres

NEW_PASSWORD = "violet-lantern-orbit-42"


def invite(world, email="newbie@example.com", role=Role.CASE_MANAGER) -> tuple[Invitation, str]:
    admin = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        invitation, sent = invitation_create(membership=admin, email=email, role=role)
    assert sent
    link = re.search(r"http://[^\s]+(/invite/[^\s/]+/)", mail.outbox[-1].body).group(1)
    return invitation, link


def sign_up(client, link, name="Nia Newcomer", password=NEW_PASSWORD, again=None):
    return client.post(link, {"full_name": name, "password1": password, "password2": again or password})


def memberships(email):
    with unscoped():
        return list(Membership.objects.filter(user__email=email))


def test_new_invitee_creates_an_account_then_enrols_mfa_and_works(world, settings):
    settings.PASSWORD_LOGIN_ENABLED = True
    invitation, link = invite(world)
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and 'data-state="create_account"' in page.content.decode()
    assert "Cache-Control" in page and "no-store" in page["Cache-Control"]

    response = sign_up(client, link)
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="newbie@example.com")
    assert user.full_name == "Nia Newcomer" and user.check_password(NEW_PASSWORD)
    [membership] = memberships("newbie@example.com")
    assert membership.organization == world.org_a and membership.role == Role.CASE_MANAGER and membership.is_active
    with unscoped():
        assert Invitation.objects.get(pk=invitation.pk).state == Invitation.State.ACCEPTED

    # Signed in with a password only: the MFA gate sends them to enrol.
    gated = client.get("/")
    assert gated.status_code == 302 and gated["Location"].startswith(ENROLL_URL)
    assert client.get(ENROLL_URL).status_code == 200
    device = TOTPDevice.objects.get(user=user)
    done = client.post(ENROLL_URL, {"code": current_code(device)})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200

    # The link is single-use: a second visitor (or submit) gets the 410 page and nothing changes.
    again = Client()
    assert again.get(link).status_code == 410
    assert sign_up(again, link, name="Someone Else").status_code == 410
    assert User.objects.get(email="newbie@example.com").full_name == "Nia Newcomer"
    assert len(memberships("newbie@example.com")) == 1


@pytest.mark.parametrize("dead", ["expired", "revoked"])
def test_dead_link_creates_no_account(world, settings, dead):
    settings.PASSWORD_LOGIN_ENABLED = True
    invitation, link = invite(world)
    with unscoped():
        if dead == "expired":
            Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.created_at)
        else:
            Invitation.objects.filter(pk=invitation.pk).update(state=Invitation.State.REVOKED)
    client = Client()
    assert client.get(link).status_code == 410
    assert sign_up(client, link).status_code == 410
    assert not User.objects.filter(email="newbie@example.com").exists()
    assert client.session.get("_auth_user_id") is None


@pytest.mark.parametrize(
    "name,password,again,error",
    [
        ("", NEW_PASSWORD, None, "Enter your full name."),
        ("Nia", NEW_PASSWORD, "something-else-entirely", "The two passwords do not match."),
        ("Nia", "short", None, "too short"),
        ("Nia", "password123", None, "too common"),
        ("Nia", "12345678901234", None, "entirely numeric"),
    ],
)
def test_bad_signup_input_is_a_form_error_and_nothing_is_created(world, settings, name, password, again, error):
    settings.PASSWORD_LOGIN_ENABLED = True
    invitation, link = invite(world)
    client = Client()
    response = sign_up(client, link, name=name, password=password, again=again)
    assert response.status_code == 400 and error in response.content.decode()
    assert not User.objects.filter(email="newbie@example.com").exists()
    with unscoped():
        assert Invitation.objects.get(pk=invitation.pk).state == Invitation.State.PENDING
    assert client.session.get("_auth_user_id") is None


def test_existing_user_must_sign_in_first(world, settings):
    settings.PASSWORD_LOGIN_ENABLED = True
    other_org_member = world.member(world.org_b, Role.CASE_MANAGER).user
    invitation, link = invite(world, email=other_org_member.email)
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and 'data-state="sign_in"' in page.content.decode()
    # Trying to set a password for someone else's account through the link does nothing.
    response = sign_up(client, link, password="attacker-chosen-pass-99")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    other_org_member.refresh_from_db()
    assert other_org_member.check_password(PASSWORD) and not other_org_member.check_password("attacker-chosen-pass-99")
    assert len(memberships(other_org_member.email)) == 1


def test_without_password_login_the_link_offers_no_signup(world, settings):
    settings.PASSWORD_LOGIN_ENABLED = False
    invitation, link = invite(world)
    client = Client()
    page = client.get(link)
    assert page.status_code == 200 and 'data-state="sign_in"' in page.content.decode()
    assert sign_up(client, link).status_code == 302
    assert not User.objects.filter(email="newbie@example.com").exists()
