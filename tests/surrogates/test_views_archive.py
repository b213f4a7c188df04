import pytest
from django.urls import reverse

from surrogates import services
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def refreshed(surrogate):
    with org_scope(surrogate.organization):
        return Surrogate.objects.get(pk=surrogate.pk)


def url(name, surrogate):
    return reverse(f"surrogates:{name}", args=[surrogate.public_id])


def test_archive_then_restore(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    login(client, case)
    response = client.post(url("archive", surrogate))
    assert response.status_code == 302 and response["Location"] == url("detail", surrogate)
    assert refreshed(surrogate).archived_at is not None
    assert client.post(url("restore", surrogate)).status_code == 302
    assert refreshed(surrogate).archived_at is None


def test_archive_and_restore_are_post_only(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    login(client, admin)
    assert client.get(url("archive", surrogate)).status_code == 405
    assert client.get(url("restore", surrogate)).status_code == 405
    assert refreshed(surrogate).archived_at is None


def test_role_without_archive_permission_gets_a_message(client, world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(intake)
    response = login(client, intake).post(url("archive", surrogate), follow=True)
    assert "Your role does not allow this." in response.content.decode()
    assert refreshed(surrogate).archived_at is None


def test_restore_refused_when_an_active_record_has_the_same_email(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    old = make(admin, email="same@mail.example.com")
    with org_scope(world.org_a):
        services.surrogate_archive(membership=admin, surrogate=old)
    make(admin, email="same@mail.example.com")
    response = login(client, admin).post(url("restore", old), follow=True)
    assert "An active surrogate with this email already exists." in response.content.decode()
    assert refreshed(old).archived_at is not None


@pytest.mark.parametrize("name", ["archive", "restore"])
def test_outsider_gets_404_and_nothing_changes(client, world, name):
    admin_b = world.member(world.org_b, Role.ADMIN)
    theirs = make(admin_b)
    if name == "restore":
        with org_scope(world.org_b):
            services.surrogate_archive(membership=admin_b, surrogate=theirs)
    before = refreshed(theirs).archived_at
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(url(name, theirs))
    assert response.status_code == 404
    assert refreshed(theirs).archived_at == before
