"""The request's memberships carry their permission overrides from the same statement (PostgreSQL):
the result must equal the statement-per-override resolution, and a change shows on the next request."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants import permissions as perms
from tenants.permissions import active_memberships
from tenants.models import MemberPermission, Membership, Role, RolePermission
from tenants.scope import org_scope
from tenants.services import member_add
from tests.conftest import login

pytestmark = pytest.mark.postgres


def _slow(membership) -> frozenset:
    with org_scope(membership.organization):
        fresh = Membership.objects.select_related("user").get(pk=membership.pk)
        return perms.effective_permissions(fresh)


def test_one_statement_gives_what_the_override_queries_give_in_every_org(world):
    intake_a = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    user = intake_a.user
    with org_scope(world.org_b):  # the same person is a case manager at the other agency
        member_add(organization=world.org_b, email=user.email, role=Role.CASE_MANAGER)
    with org_scope(world.org_a):
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.VIEW_ALL_SURROGATES, allowed=True)
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.ADD_NOTE, allowed=False)
        MemberPermission.objects.create(membership=intake_a, permission=perms.APPROVE_STATUS_REQUESTS,
                                        effect=MemberPermission.Effect.GRANT)
        MemberPermission.objects.create(membership=intake_a, permission=perms.CREATE_SURROGATE,
                                        effect=MemberPermission.Effect.REVOKE)
    with org_scope(world.org_b):  # org B's overrides must not leak into org A's membership, or back
        RolePermission.objects.create(role=Role.CASE_MANAGER, permission=perms.ARCHIVE_SURROGATE, allowed=False)
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.MANAGE_ORGANIZATION, allowed=True)

    with CaptureQueriesContext(connection) as captured:
        memberships = active_memberships(user)
        loaded = {m.organization_id: perms.effective_permissions(m) for m in memberships}
    assert len(captured.captured_queries) == 1
    assert set(loaded) == {world.org_a.pk, world.org_b.pk}
    for m in memberships:
        assert loaded[m.organization_id] == _slow(m)
    assert perms.VIEW_ALL_SURROGATES in loaded[world.org_a.pk] and perms.ADD_NOTE not in loaded[world.org_a.pk]
    assert perms.APPROVE_STATUS_REQUESTS in loaded[world.org_a.pk] and perms.CREATE_SURROGATE not in loaded[world.org_a.pk]
    assert perms.MANAGE_ORGANIZATION not in loaded[world.org_a.pk]
    assert perms.ARCHIVE_SURROGATE not in loaded[world.org_b.pk] and perms.ADD_NOTE in loaded[world.org_b.pk]


def test_a_revoke_applies_on_the_next_request(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, case)
    assert client.get("/surrogates/import/").status_code == 200
    with org_scope(world.org_a):
        MemberPermission.objects.create(membership=case, permission=perms.IMPORT_SURROGATES,
                                        effect=MemberPermission.Effect.REVOKE)
    assert client.get("/surrogates/import/").status_code == 403
    with org_scope(world.org_a):
        MemberPermission.objects.filter(membership=case).update(effect=MemberPermission.Effect.GRANT)
    assert client.get("/surrogates/import/").status_code == 200
