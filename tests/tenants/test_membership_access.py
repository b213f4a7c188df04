"""A removed member (or a deactivated account) is refused on the very next request; org switching."""
import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse

from surrogates import services
from tenants.middleware import ACTIVE_ORG_SESSION_KEY
from tenants.models import Membership, Role, User
from tenants.scope import org_scope, unscoped
from tenants.services import member_add, membership_set_active
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.postgres

LIST = "/surrogates/"


def _deactivate(membership):
    with unscoped():
        Membership.objects.filter(pk=membership.pk).update(is_active=False)


def _assert_refused(response, client):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in client.session


def test_active_member_gets_the_list(client, world):
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    assert client.get(LIST).status_code == 200


def test_deactivated_membership_is_refused_on_the_next_request(client, world):
    membership = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, membership)
    assert client.get(LIST).status_code == 200
    _deactivate(membership)
    response = client.get(LIST)
    _assert_refused(response, client)
    # And it stays out: the next request is anonymous.
    again = client.get(LIST)
    assert again.status_code == 302 and again["Location"].startswith(reverse("login"))


def test_deactivated_through_the_service_is_refused_too(client, world):
    membership = world.member(world.org_a, Role.ADMIN)
    login(client, membership)
    assert client.get(LIST).status_code == 200
    with org_scope(world.org_a):
        membership_set_active(membership=membership, is_active=False)
    _assert_refused(client.get(LIST), client)


def test_deleted_membership_is_refused_on_the_next_request(client, world):
    membership = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    login(client, membership)
    assert client.get(LIST).status_code == 200
    with unscoped():
        Membership.objects.filter(pk=membership.pk).delete()
    _assert_refused(client.get(LIST), client)


def test_deactivated_membership_cannot_post_either(client, world):
    membership = world.member(world.org_a, Role.ADMIN)
    login(client, membership)
    _deactivate(membership)
    response = client.post(reverse("surrogates:create"), {"full_name": "Should Not Exist"})
    assert response.status_code == 302
    with unscoped():
        from surrogates.models import Surrogate

        assert not Surrogate.objects.filter(full_name="Should Not Exist").exists()


def test_deactivated_user_is_refused_on_the_next_request(client, world):
    membership = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, membership)
    assert client.get(LIST).status_code == 200
    User.objects.filter(pk=membership.user_id).update(is_active=False)
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert response.wsgi_request.user.is_anonymous


def test_deactivated_user_cannot_log_in(client, world):
    membership = world.member(world.org_a, Role.CASE_MANAGER)
    User.objects.filter(pk=membership.user_id).update(is_active=False)
    response = client.post(reverse("login"), {"username": membership.user.email, "password": PASSWORD})
    assert SESSION_KEY not in client.session
    assert response.status_code in (200, 302)
    assert client.get(LIST).status_code == 302


def test_member_of_two_orgs_deactivated_in_one_falls_back_to_the_other(client, world):
    membership_a = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_b):
        member_add(organization=world.org_b, email=membership_a.user.email, role=Role.CASE_MANAGER)
    login(client, membership_a)
    assert client.get(LIST).wsgi_request.organization == world.org_a
    _deactivate(membership_a)
    response = client.get(LIST)
    # Out of org A at once, never served A's data again.
    assert response.wsgi_request.organization != world.org_a
    assert client.session.get(ACTIVE_ORG_SESSION_KEY) != world.org_a.pk


@pytest.fixture
def two_org_user(world):
    membership_a = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_b):
        membership_b = member_add(organization=world.org_b, email=membership_a.user.email, role=Role.ADMIN)
    with org_scope(world.org_a):
        services.surrogate_create(membership=membership_a, full_name="Alpha Onlyina")
    with org_scope(world.org_b):
        services.surrogate_create(membership=world.member(world.org_b, Role.ADMIN), full_name="Bravo Onlyinb")
    return membership_a, membership_b


def test_switching_org_shows_only_that_orgs_data(client, world, two_org_user):
    membership_a, _ = two_org_user
    login(client, membership_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert b"Alpha Onlyina" in response.content and b"Bravo Onlyinb" not in response.content

    response = client.post(reverse("switch-organization"), {"organization": world.org_b.slug})
    assert response.status_code == 302
    assert client.session[ACTIVE_ORG_SESSION_KEY] == world.org_b.pk
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.wsgi_request.organization == world.org_b
    assert b"Bravo Onlyinb" in response.content and b"Alpha Onlyina" not in response.content


def test_switching_to_an_org_you_are_not_in_changes_nothing(client, world):
    membership_a = world.member(world.org_a, Role.ADMIN)
    login(client, membership_a)
    client.post(reverse("switch-organization"), {"organization": world.org_b.slug})
    assert client.session[ACTIVE_ORG_SESSION_KEY] == world.org_a.pk
    assert client.get(LIST).wsgi_request.organization == world.org_a


def test_forged_session_org_id_is_not_honoured(client, world):
    membership_a = world.member(world.org_a, Role.ADMIN)
    login(client, membership_a)
    session = client.session
    session[ACTIVE_ORG_SESSION_KEY] = world.org_b.pk
    session.save()
    response = client.get(LIST)
    assert getattr(response.wsgi_request, "organization", None) != world.org_b


def test_switching_away_from_a_deactivated_org_is_refused(client, world, two_org_user):
    membership_a, membership_b = two_org_user
    login(client, membership_a)
    _deactivate(membership_b)
    client.post(reverse("switch-organization"), {"organization": world.org_b.slug})
    response = client.get(LIST)
    assert response.wsgi_request.organization == world.org_a
    assert b"Bravo Onlyinb" not in response.content
