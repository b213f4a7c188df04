"""Permission resolution: member revoke > member grant > org role override > role default."""
import pytest

from tenants import permissions as perms
from tenants.models import MemberPermission, Membership, Role, RolePermission
from tenants.scope import org_scope

pytestmark = pytest.mark.postgres


def _fresh(membership):
    # effective permissions are cached per instance (per request); re-read to see changes.
    with org_scope(membership.organization):
        return Membership.objects.select_related("user").get(pk=membership.pk)


def _override(membership, permission, effect):
    with org_scope(membership.organization):
        MemberPermission.objects.create(membership=membership, permission=permission, effect=effect)


@pytest.mark.parametrize(
    "role, allowed, denied",
    [
        (Role.INTAKE_SPECIALIST, {perms.SET_INTAKE_STAGE, perms.ADD_NOTE}, {perms.SET_POST_APPROVAL_STAGE, perms.VIEW_ALL_SURROGATES, perms.APPROVE_STATUS_REQUESTS, perms.MANAGE_ORGANIZATION}),
        (Role.CASE_MANAGER, {perms.SET_POST_APPROVAL_STAGE, perms.VIEW_ALL_SURROGATES}, {perms.SET_INTAKE_STAGE, perms.APPROVE_STATUS_REQUESTS, perms.MANAGE_ORGANIZATION}),
        (Role.ADMIN, set(perms.ALL_PERMISSIONS), set()),
    ],
)
def test_role_defaults(world, role, allowed, denied):
    membership = _fresh(world.member(world.org_a, role))
    with org_scope(world.org_a):
        for permission in allowed:
            assert perms.has_perm(membership, permission), permission
        for permission in denied:
            assert not perms.has_perm(membership, permission), permission


def test_org_role_override_changes_the_default_for_that_org_only(world):
    with org_scope(world.org_a):
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.VIEW_ALL_SURROGATES, allowed=True)
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.ADD_NOTE, allowed=False)
        intake_a = _fresh(world.member(world.org_a, Role.INTAKE_SPECIALIST))
        assert perms.has_perm(intake_a, perms.VIEW_ALL_SURROGATES)
        assert not perms.has_perm(intake_a, perms.ADD_NOTE)
        # Another role in the same org is unaffected.
        case_a = _fresh(world.member(world.org_a, Role.CASE_MANAGER))
        assert perms.has_perm(case_a, perms.ADD_NOTE)
    with org_scope(world.org_b):
        intake_b = _fresh(world.member(world.org_b, Role.INTAKE_SPECIALIST))
        assert not perms.has_perm(intake_b, perms.VIEW_ALL_SURROGATES)
        assert perms.has_perm(intake_b, perms.ADD_NOTE)


def test_member_grant_beats_role_default(world):
    membership = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    _override(membership, perms.APPROVE_STATUS_REQUESTS, MemberPermission.Effect.GRANT)
    with org_scope(world.org_a):
        assert perms.has_perm(_fresh(membership), perms.APPROVE_STATUS_REQUESTS)


def test_member_grant_beats_org_role_override(world):
    membership = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_a):
        RolePermission.objects.create(role=Role.CASE_MANAGER, permission=perms.ARCHIVE_SURROGATE, allowed=False)
        assert not perms.has_perm(_fresh(membership), perms.ARCHIVE_SURROGATE)
    _override(membership, perms.ARCHIVE_SURROGATE, MemberPermission.Effect.GRANT)
    with org_scope(world.org_a):
        assert perms.has_perm(_fresh(membership), perms.ARCHIVE_SURROGATE)


def test_member_revoke_beats_role_default(world):
    membership = world.member(world.org_a, Role.ADMIN)
    _override(membership, perms.MANAGE_ORGANIZATION, MemberPermission.Effect.REVOKE)
    with org_scope(world.org_a):
        fresh = _fresh(membership)
        assert not perms.has_perm(fresh, perms.MANAGE_ORGANIZATION)
        assert perms.has_perm(fresh, perms.APPROVE_STATUS_REQUESTS)


def test_member_revoke_beats_member_grant(world):
    membership = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    _override(membership, perms.VIEW_ALL_SURROGATES, MemberPermission.Effect.GRANT)
    _override(membership, perms.VIEW_ALL_SURROGATES, MemberPermission.Effect.REVOKE)
    with org_scope(world.org_a):
        assert not perms.has_perm(_fresh(membership), perms.VIEW_ALL_SURROGATES)


def test_member_revoke_beats_org_role_override_grant(world):
    membership = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    with org_scope(world.org_a):
        RolePermission.objects.create(role=Role.INTAKE_SPECIALIST, permission=perms.VIEW_ALL_SURROGATES, allowed=True)
    _override(membership, perms.VIEW_ALL_SURROGATES, MemberPermission.Effect.REVOKE)
    with org_scope(world.org_a):
        assert not perms.has_perm(_fresh(membership), perms.VIEW_ALL_SURROGATES)


def test_overrides_are_per_member(world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    _override(intake, perms.APPROVE_STATUS_REQUESTS, MemberPermission.Effect.GRANT)
    with org_scope(world.org_a):
        assert not perms.has_perm(_fresh(world.member(world.org_a, Role.CASE_MANAGER)), perms.APPROVE_STATUS_REQUESTS)


def test_inactive_membership_has_nothing(world):
    membership = world.member(world.org_a, Role.ADMIN)
    _override(membership, perms.ADD_NOTE, MemberPermission.Effect.GRANT)
    with org_scope(world.org_a):
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        fresh = _fresh(membership)
        assert perms.effective_permissions(fresh) == frozenset()
        assert not any(perms.has_perm(fresh, p) for p in perms.ALL_PERMISSIONS)


def test_inactive_user_has_nothing(world):
    membership = world.member(world.org_a, Role.ADMIN)
    membership.user.is_active = False
    membership.user.save()
    with org_scope(world.org_a):
        assert perms.effective_permissions(_fresh(membership)) == frozenset()


def test_no_membership_has_nothing_and_unknown_permission_is_an_error(world):
    assert not perms.has_perm(None, perms.ADD_NOTE)
    with pytest.raises(KeyError):
        perms.has_perm(world.member(world.org_a, Role.ADMIN), "surrogates.do_anything")
