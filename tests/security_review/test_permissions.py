"""Security review of the one-statement permission read (3a368d5): nothing leaks across
memberships or organizations, and every change applies on the next request."""
import pytest

from tenants import permissions as perms
from tenants.permissions import active_memberships
from tenants.models import MemberPermission, Role, RolePermission
from tenants.scope import org_scope
from tenants.services import member_add
from tests.conftest import login

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _loaded(user):
    return {m.organization_id: perms.effective_permissions(m) for m in active_memberships(user)}


def test_a_colleagues_overrides_and_another_roles_overrides_never_leak_in(world):
    intake_a = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    colleague = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_a):
        MemberPermission.objects.create(membership=colleague, permission=perms.VIEW_AUDIT_LOG,
                                        effect=MemberPermission.Effect.GRANT)
        RolePermission.objects.create(role=Role.CASE_MANAGER, permission=perms.MANAGE_ORGANIZATION, allowed=True)
        MemberPermission.objects.create(membership=intake_a, permission=perms.ADD_NOTE,
                                        effect=MemberPermission.Effect.REVOKE)
    with org_scope(world.org_b):  # the same role at the other agency gets a lot more
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.VIEW_ALL_SURROGATES, allowed=True)
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.ADD_NOTE, allowed=True)
    mine = _loaded(intake_a.user)[world.org_a.pk]
    assert perms.VIEW_AUDIT_LOG not in mine and perms.MANAGE_ORGANIZATION not in mine
    assert perms.VIEW_ALL_SURROGATES not in mine and perms.ADD_NOTE not in mine
    assert mine == perms.ROLE_DEFAULTS[Role.INTAKE_SPECIALIST] - {perms.ADD_NOTE}
    theirs = _loaded(colleague.user)[world.org_a.pk]
    assert perms.VIEW_AUDIT_LOG in theirs and perms.MANAGE_ORGANIZATION in theirs


def test_role_change_and_role_override_apply_on_the_next_request(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, case)
    assert client.get("/surrogates/import/").status_code == 200
    case.role = Role.INTAKE_SPECIALIST
    case.save(update_fields=["role"])
    assert client.get("/surrogates/import/").status_code == 403
    with org_scope(world.org_a):
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.IMPORT_SURROGATES, allowed=True)
    assert client.get("/surrogates/import/").status_code == 200
    with org_scope(world.org_a):
        RolePermission.objects.filter(permission=perms.IMPORT_SURROGATES).update(allowed=False)
    assert client.get("/surrogates/import/").status_code == 403


def test_deactivated_membership_or_user_is_out_on_the_next_request(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, case)
    assert client.get("/surrogates/import/").status_code == 200
    case.is_active = False
    case.save(update_fields=["is_active"])
    response = client.get("/surrogates/import/")
    assert response.status_code in (302, 403) and response.status_code != 200
    assert active_memberships(case.user) == []

    case.is_active = True
    case.save(update_fields=["is_active"])
    login(client, case)
    assert client.get("/surrogates/import/").status_code == 200
    user = case.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert client.get("/surrogates/import/").status_code != 200
    assert all(perms.effective_permissions(m) == frozenset() for m in active_memberships(user))


def test_session_active_org_of_a_membership_in_another_org_is_not_honoured(client, world):
    """A session naming an organization the user is no member of falls back to a real membership."""
    intake_a = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    login(client, intake_a)
    session = client.session
    session["active_org_id"] = world.org_b.pk
    session.save()
    response = client.get("/surrogates/")
    assert response.status_code in (200, 302)
    assert client.session.get("active_org_id") in (None, world.org_a.pk)
