"""Celery tasks enter the organization scope through OrgScopedTask, and always leave it."""
import pytest

from config.celery import app
from surrogates import services
from surrogates.models import Surrogate
from tenants.models import Organization, Role
from tenants.scope import ScopeError, current_org, org_scope
from tenants.tasks import OrgScopedTask

pytestmark = pytest.mark.postgres


@app.task(base=OrgScopedTask, name="tests.tenants.surrogate_names")
def surrogate_names(*, organization_id):
    return {"org": current_org().pk, "names": sorted(Surrogate.objects.values_list("full_name", flat=True))}


@app.task(base=OrgScopedTask, name="tests.tenants.explode")
def explode(*, organization_id):
    assert current_org().pk == organization_id
    raise RuntimeError("boom")


@pytest.fixture
def rows(world):
    for org, name in ((world.org_a, "Only In A"), (world.org_b, "Only In B")):
        with org_scope(org):
            services.surrogate_create(membership=world.member(org, Role.ADMIN), full_name=name)


def test_tasks_run_eagerly_in_tests():
    assert app.conf.task_always_eager


def test_task_sees_only_its_orgs_rows_and_resets_scope(world, rows):
    result = surrogate_names.delay(organization_id=world.org_a.pk).get()
    assert result == {"org": world.org_a.pk, "names": ["Only In A"]}
    assert current_org() is None
    result = surrogate_names.apply_async(kwargs={"organization_id": world.org_b.pk}).get()
    assert result == {"org": world.org_b.pk, "names": ["Only In B"]}
    assert current_org() is None


def test_direct_call_enters_the_scope_too(world, rows):
    assert surrogate_names(organization_id=world.org_a.pk)["names"] == ["Only In A"]
    assert current_org() is None


def test_task_inside_another_orgs_scope_uses_its_own_org(world, rows):
    with org_scope(world.org_b):
        assert surrogate_names.delay(organization_id=world.org_a.pk).get()["names"] == ["Only In A"]
        assert current_org() == world.org_b


def test_task_without_organization_id_raises(world, rows):
    with pytest.raises(TypeError, match="organization_id"):
        surrogate_names.delay()
    with pytest.raises(TypeError, match="organization_id"):
        surrogate_names.delay(organization_id=None)
    assert current_org() is None


def test_task_with_unknown_organization_raises(db):
    with pytest.raises(Organization.DoesNotExist):
        surrogate_names.delay(organization_id=987654321)


def test_scope_is_reset_after_the_task_raises(world, rows):
    with pytest.raises(RuntimeError, match="boom"):
        explode.delay(organization_id=world.org_a.pk)
    assert current_org() is None
    with pytest.raises(ScopeError):
        Surrogate.objects.count()
