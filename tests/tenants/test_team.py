"""The team page: only admins, only their organization; change role, deactivate, reactivate;
the last active admin stays; every change audited; deactivation refused on the next request."""
import pytest
from django.test import Client

from auditlog.models import AuditEntry
from tenants.models import ActivityEvent, Membership, Role
from tenants.scope import org_scope, unscoped
from tests.conftest import login

pytestmark = pytest.mark.postgres

TEAM = "/team/"


def url(member, action):
    return f"/team/members/{member.public_id}/{action}/"


def refreshed(member):
    with unscoped():
        return Membership.objects.get(pk=member.pk)


def events(org, action):
    with org_scope(org):
        return list(ActivityEvent.objects.filter(action=action))


def chain_actions(org):
    with org_scope(org):
        return list(AuditEntry.objects.filter(organization=org).values_list("action", flat=True))


@pytest.fixture
def admin_a(world):
    return world.member(world.org_a, Role.ADMIN)


def test_admin_sees_their_own_team_only(client, world, admin_a):
    login(client, admin_a)
    response = client.get(TEAM)
    assert response.status_code == 200
    body = response.content.decode()
    assert "case_manager@agency-a.test" in body and "agency-b.test" not in body
    assert body.count("data-member=") == 3


@pytest.mark.parametrize("role", [Role.CASE_MANAGER, Role.INTAKE_SPECIALIST])
def test_non_admins_are_refused(client, world, role):
    member = world.member(world.org_a, role)
    target = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    login(client, member)
    assert client.get(TEAM).status_code == 403
    assert client.post(url(target, "deactivate")).status_code == 403
    assert client.post(url(target, "role"), {"role": Role.ADMIN}).status_code == 403
    assert client.post("/team/invite/", {"email": "x@agency-a.test", "role": Role.ADMIN}).status_code == 403
    assert refreshed(target).is_active and refreshed(member).role == role


def test_anonymous_goes_to_login(client, world):
    response = client.get(TEAM)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_change_role_is_audited(client, world, admin_a):
    target = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    login(client, admin_a)
    response = client.post(url(target, "role"), {"role": Role.CASE_MANAGER})
    assert response.status_code == 302
    assert refreshed(target).role == Role.CASE_MANAGER
    [event] = events(world.org_a, "membership.role_changed")
    assert event.actor == admin_a.user and event.data == {"from": Role.INTAKE_SPECIALIST, "role": Role.CASE_MANAGER}
    assert event.target_id == str(target.public_id)
    assert "membership.role_changed" in chain_actions(world.org_a)


def test_unknown_role_is_a_message_not_a_500(client, world, admin_a):
    target = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    login(client, admin_a)
    response = client.post(url(target, "role"), {"role": "overlord"}, follow=True)
    assert response.status_code == 200 and "Choose a role." in response.content.decode()
    assert refreshed(target).role == Role.INTAKE_SPECIALIST


def test_deactivated_member_is_out_on_their_next_request(world, admin_a):
    target = world.member(world.org_a, Role.CASE_MANAGER)
    theirs = login(Client(), target)
    assert theirs.get("/surrogates/").status_code == 200

    admin = login(Client(), admin_a)
    assert admin.post(url(target, "deactivate")).status_code == 302
    assert not refreshed(target).is_active

    refused = theirs.get("/surrogates/")
    assert refused.status_code == 302 and refused["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in theirs.session  # logged out, not just redirected
    assert theirs.get("/surrogates/").status_code == 302
    [event] = events(world.org_a, "membership.deactivated")
    assert event.actor == admin_a.user
    assert "membership.deactivated" in chain_actions(world.org_a)


def test_reactivate_lets_them_back_in(client, world, admin_a):
    target = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, admin_a)
    client.post(url(target, "deactivate"))
    assert client.post(url(target, "reactivate")).status_code == 302
    assert refreshed(target).is_active
    assert len(events(world.org_a, "membership.activated")) == 1
    assert login(Client(), target).get("/surrogates/").status_code == 200


def test_last_admin_cannot_demote_or_deactivate_themselves(client, world, admin_a):
    login(client, admin_a)
    response = client.post(url(admin_a, "deactivate"), follow=True)
    assert "at least one active admin" in response.content.decode()
    response = client.post(url(admin_a, "role"), {"role": Role.CASE_MANAGER}, follow=True)
    assert "at least one active admin" in response.content.decode()
    assert refreshed(admin_a).is_active and refreshed(admin_a).role == Role.ADMIN
    assert not events(world.org_a, "membership.deactivated") and not events(world.org_a, "membership.role_changed")


def test_with_a_second_admin_the_first_may_step_down(client, world, admin_a):
    other = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, admin_a)
    client.post(url(other, "role"), {"role": Role.ADMIN})
    assert client.post(url(admin_a, "role"), {"role": Role.CASE_MANAGER}).status_code == 302
    assert refreshed(admin_a).role == Role.CASE_MANAGER
    # Now the other is the last admin: they cannot be deactivated by anyone.
    admin2 = login(Client(), refreshed(other))
    response = admin2.post(url(other, "deactivate"), follow=True)
    assert "at least one active admin" in response.content.decode() and refreshed(other).is_active


def test_other_orgs_members_are_404(client, world, admin_a):
    outsider = world.member(world.org_b, Role.CASE_MANAGER)
    login(client, admin_a)
    for action, data in (("role", {"role": Role.ADMIN}), ("deactivate", {}), ("reactivate", {})):
        assert client.post(url(outsider, action), data).status_code == 404
    assert refreshed(outsider).is_active and refreshed(outsider).role == Role.CASE_MANAGER
    assert client.post(f"/team/members/{world.org_b.pk}/deactivate/").status_code == 404


def test_get_on_actions_is_refused(client, world, admin_a):
    target = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, admin_a)
    assert client.get(url(target, "deactivate")).status_code == 405
    assert refreshed(target).is_active
