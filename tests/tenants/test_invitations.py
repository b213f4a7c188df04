"""Invitations: admins invite with a role; the link (token hashed at rest) works for the invited
address only, for 7 days, once; resends are limited; revocation works; outsiders get 404."""
import datetime
import hashlib
import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from tenants.invitations import SENDS_PER_DAY, invitation_create
from tenants.models import ActivityEvent, Invitation, Membership, Role
from tenants.scope import org_scope, unscoped
from tests.conftest import PASSWORD, login, login_user

pytestmark = pytest.mark.postgres


@pytest.fixture
def admin_a(world):
    return world.member(world.org_a, Role.ADMIN)


def invite(client, email, role=Role.CASE_MANAGER):
    return client.post("/team/invite/", {"email": email, "role": role}, follow=True)


def last_link() -> str:
    return re.search(r"http://[^\s]+(/invite/[^\s/]+/)", mail.outbox[-1].body).group(1)


def invitation(email):
    with unscoped():
        return Invitation.objects.get(email=email, state=Invitation.State.PENDING)


def account(email, org):
    """An account with a password and no membership in `org` (say, a member of another agency)."""
    from tenants.services import member_add

    with org_scope(org):
        return member_add(organization=org, email=email, role=Role.CASE_MANAGER, password=PASSWORD).user


def test_admin_invites_and_the_email_carries_a_link_whose_token_is_not_stored(client, world, admin_a):
    login(client, admin_a)
    response = invite(client, "Pat@Example.com", Role.INTAKE_SPECIALIST)
    assert response.status_code == 200 and "Invitation sent to pat@example.com" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["pat@example.com"] and "Agency A" in message.subject
    link = last_link()
    token = link.split("/")[2]
    pending = invitation("pat@example.com")
    assert pending.role == Role.INTAKE_SPECIALIST and pending.invited_by == admin_a.user
    assert pending.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert abs(pending.expires_at - (timezone.now() + datetime.timedelta(days=7))) < datetime.timedelta(minutes=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tenants_invitation")
        assert token not in repr(cursor.fetchall())
    with org_scope(world.org_a):
        [event] = ActivityEvent.objects.filter(action="invitation.created")
    assert event.data == {"role": Role.INTAKE_SPECIALIST} and "pat@" not in str(event.data)
    assert "pat@example.com" in client.get("/team/").content.decode()


def test_invited_password_user_accepts_with_matching_email(client, world, admin_a):
    user = account("pat@example.com", world.org_b)
    login(client, admin_a)
    invite(client, "pat@example.com", Role.CASE_MANAGER)
    link = last_link()

    theirs = Client()
    page = theirs.get(link)
    assert page.status_code == 200 and 'data-state="sign_in"' in page.content.decode()
    assert theirs.post(link).status_code == 302  # to the login page: must be signed in
    assert theirs.post("/accounts/login/", {"username": user.email, "password": PASSWORD, "next": link})["Location"] == link
    assert theirs.get(link)["Location"].startswith("/accounts/mfa/")  # the second factor comes first
    theirs = login_user(Client(), user)  # ... as after entering the authenticator code
    assert 'data-state="confirm"' in theirs.get(link).content.decode()
    accepted = theirs.post(link)
    assert accepted.status_code == 302 and accepted["Location"] == "/"
    with unscoped():
        membership = Membership.objects.get(user=user, organization=world.org_a)
    assert membership.role == Role.CASE_MANAGER and membership.is_active
    assert theirs.session["active_org_id"] == world.org_a.pk
    assert invitation_state("pat@example.com") == Invitation.State.ACCEPTED
    # Used once: the link now leads its owner home and tells anyone else it is spent.
    assert theirs.get(link)["Location"] == "/"
    assert Client().get(link).status_code == 410


def invitation_state(email):
    with unscoped():
        return Invitation.objects.get(email=email).state


def test_someone_else_signed_in_cannot_accept(client, world, admin_a):
    login(client, admin_a)
    invite(client, "pat@example.com")
    link = last_link()
    intruder = login(Client(), world.member(world.org_b, Role.ADMIN))
    page = intruder.get(link)
    assert page.status_code == 403 and "different address" in page.content.decode()
    assert intruder.post(link).status_code == 403
    assert invitation_state("pat@example.com") == Invitation.State.PENDING
    with unscoped():
        assert not Membership.objects.filter(organization=world.org_a, user=world.member(world.org_b, Role.ADMIN).user).exists()


def test_unknown_token_is_404(client, world):
    assert client.get("/invite/not-a-real-token/").status_code == 404
    assert client.post("/invite/not-a-real-token/").status_code == 404


def test_expired_link_is_refused(client, world, admin_a):
    user = account("pat@example.com", world.org_b)
    login(client, admin_a)
    invite(client, "pat@example.com")
    link = last_link()
    with unscoped():
        Invitation.objects.filter(email="pat@example.com").update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    theirs = login_user(Client(), user)
    assert theirs.get(link).status_code == 410
    assert theirs.post(link).status_code == 410
    with unscoped():
        assert not Membership.objects.filter(organization=world.org_a, user=user).exists()


def test_revoked_link_is_refused_and_revocation_audited(client, world, admin_a):
    login(client, admin_a)
    invite(client, "pat@example.com")
    link = last_link()
    pending = invitation("pat@example.com")
    assert client.post(f"/team/invitations/{pending.public_id}/revoke/").status_code == 302
    assert invitation_state("pat@example.com") == Invitation.State.REVOKED
    assert Client().get(link).status_code == 410
    with org_scope(world.org_a):
        assert ActivityEvent.objects.filter(action="invitation.revoked").count() == 1
    response = client.post(f"/team/invitations/{pending.public_id}/revoke/", follow=True)
    assert "Only a pending invitation can be revoked." in response.content.decode()


def test_resend_gives_a_new_link_and_is_limited_per_day(client, world, admin_a):
    login(client, admin_a)
    invite(client, "pat@example.com")
    first_link = last_link()
    pending = invitation("pat@example.com")
    resend = f"/team/invitations/{pending.public_id}/resend/"
    for _ in range(SENDS_PER_DAY - 1):
        assert "sent again" in client.post(resend, follow=True).content.decode()
    assert len(mail.outbox) == SENDS_PER_DAY
    assert Client().get(first_link).status_code == 404  # the old link stopped working
    assert Client().get(last_link()).status_code == 200
    refused = client.post(resend, follow=True).content.decode()
    assert "already sent 3 times today" in refused and len(mail.outbox) == SENDS_PER_DAY
    # A day later the window opens again.
    with unscoped():
        Invitation.objects.filter(pk=pending.pk).update(send_window_started_at=timezone.now() - datetime.timedelta(days=1, minutes=1))
    assert "sent again" in client.post(resend, follow=True).content.decode()
    with org_scope(world.org_a):
        assert ActivityEvent.objects.filter(action="invitation.resent").count() == SENDS_PER_DAY


@pytest.mark.parametrize(
    "email,message",
    [
        ("case_manager@agency-a.test", "already a member"),
        ("not-an-email", "valid email address"),
    ],
)
def test_invite_refusals_are_messages(client, world, admin_a, email, message):
    login(client, admin_a)
    assert message in invite(client, email).content.decode()
    assert not mail.outbox


def test_second_pending_invitation_for_the_same_address_is_refused(client, world, admin_a):
    login(client, admin_a)
    invite(client, "pat@example.com")
    assert "already has a pending invitation" in invite(client, "PAT@example.com").content.decode()
    assert len(mail.outbox) == 1


def test_deactivated_member_must_be_reactivated_not_invited(client, world, admin_a):
    target = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, admin_a)
    client.post(f"/team/members/{target.public_id}/deactivate/")
    assert "reactivate them" in invite(client, target.user.email).content.decode()


def test_bad_role_is_refused(client, world, admin_a):
    login(client, admin_a)
    assert "Choose a role." in invite(client, "pat@example.com", "overlord").content.decode()


def test_outsider_invitation_ids_are_404(client, world, admin_a):
    admin_b = world.member(world.org_b, Role.ADMIN)
    with org_scope(world.org_b):
        theirs, _ = invitation_create(membership=admin_b, email="b-invitee@example.com", role=Role.ADMIN)
    login(client, admin_a)
    assert client.post(f"/team/invitations/{theirs.public_id}/revoke/").status_code == 404
    assert client.post(f"/team/invitations/{theirs.public_id}/resend/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.state == Invitation.State.PENDING and theirs.sends_in_window == 1
    assert "b-invitee@example.com" not in client.get("/team/").content.decode()


def test_mail_outage_keeps_the_invitation(client, world, admin_a, settings):
    settings.EMAIL_BACKEND = "tests.tenants.test_invitations.BrokenBackend"
    login(client, admin_a)
    assert "could not be sent" in invite(client, "pat@example.com").content.decode()
    assert invitation("pat@example.com").state == Invitation.State.PENDING


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP down")
