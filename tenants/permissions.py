"""Who may do what. Checked on the server for every action.

Resolution for one permission: a member's revoke beats a member's grant, which beats the
organization's role override, which beats the role default.
"""
import functools

from django.db import connection

from tenants import public_rows
from tenants.models import MemberPermission, Membership, Organization, Role, RolePermission
from tenants.scope import unscoped

VIEW_ALL_SURROGATES = "surrogates.view_all"
CREATE_SURROGATE = "surrogates.create"
EDIT_SURROGATE = "surrogates.edit"
ARCHIVE_SURROGATE = "surrogates.archive"
SET_INTAKE_STAGE = "surrogates.set_intake_stage"
SET_POST_APPROVAL_STAGE = "surrogates.set_post_approval_stage"
SET_TERMINAL_STAGE = "surrogates.set_terminal_stage"
APPROVE_STATUS_REQUESTS = "surrogates.approve_status_requests"
ADD_NOTE = "surrogates.add_note"
MANAGE_TASKS = "surrogates.manage_tasks"
MANAGE_ORGANIZATION = "org.manage"
CLAIM_SURROGATES = "surrogates.claim"
ASSIGN_SURROGATES = "surrogates.assign"
IMPORT_SURROGATES = "surrogates.import"
MANAGE_MATCHES = "matching.manage"
VIEW_AUDIT_LOG = "audit.view"

ALL_PERMISSIONS = {
    VIEW_ALL_SURROGATES: "See surrogates owned by anyone (otherwise only your own)",
    CREATE_SURROGATE: "Create surrogate records",
    EDIT_SURROGATE: "Edit surrogate profiles",
    ARCHIVE_SURROGATE: "Archive and restore surrogates",
    SET_INTAKE_STAGE: "Move surrogates between intake stages",
    SET_POST_APPROVAL_STAGE: "Move surrogates between post-approval stages",
    SET_TERMINAL_STAGE: "Close surrogates (lost, disqualified)",
    APPROVE_STATUS_REQUESTS: "Approve or reject stage regressions",
    ADD_NOTE: "Add notes",
    MANAGE_TASKS: "Create and complete tasks",
    MANAGE_ORGANIZATION: "Manage the organization in /admin/",
    CLAIM_SURROGATES: "Claim surrogates from a queue and release them back",
    ASSIGN_SURROGATES: "Assign surrogates to a person or a queue (also in bulk)",
    IMPORT_SURROGATES: "Import surrogates from a CSV file",
    MANAGE_MATCHES: "Manage intended parents, propose and decide matches, keep the match calendar",
    VIEW_AUDIT_LOG: "See the organization's security audit log",
}

_COMMON = {CREATE_SURROGATE, EDIT_SURROGATE, ADD_NOTE, MANAGE_TASKS, SET_TERMINAL_STAGE}
ROLE_DEFAULTS = {
    Role.INTAKE_SPECIALIST: _COMMON | {SET_INTAKE_STAGE},
    Role.CASE_MANAGER: _COMMON
    | {SET_POST_APPROVAL_STAGE, VIEW_ALL_SURROGATES, ARCHIVE_SURROGATE, CLAIM_SURROGATES, ASSIGN_SURROGATES}
    | {IMPORT_SURROGATES, MANAGE_MATCHES},
    Role.ADMIN: set(ALL_PERMISSIONS),
}


def _resolve(membership: Membership, role_overrides, member_overrides) -> frozenset[str]:
    if not membership.is_active or not membership.user.is_active:
        return frozenset()
    allowed = set(ROLE_DEFAULTS.get(membership.role, set()))
    for permission, is_allowed in role_overrides:
        (allowed.add if is_allowed else allowed.discard)(permission)
    allowed |= {perm for perm, effect in member_overrides if effect == MemberPermission.Effect.GRANT}
    allowed -= {perm for perm, effect in member_overrides if effect == MemberPermission.Effect.REVOKE}
    return frozenset(allowed)


def effective_permissions(membership: Membership) -> frozenset[str]:
    """All permissions of one member, computed once per request and cached on the membership."""
    cached = getattr(membership, "_effective_permissions", None)
    if cached is not None:
        return cached
    role_overrides = RolePermission.objects.filter(
        organization_id=membership.organization_id, role=membership.role
    ).values_list("permission", "allowed")
    member_overrides = MemberPermission.objects.filter(membership=membership).values_list("permission", "effect")
    membership._effective_permissions = _resolve(membership, list(role_overrides), list(member_overrides))
    return membership._effective_permissions


def active_memberships(user) -> list[Membership]:
    """A user's active memberships (organization attached, by organization name), each with its
    effective permissions already resolved: what every signed-in request reads first.

    On PostgreSQL this is one plain statement written once from the models' metadata
    (tenants.public_rows): the override lists come along as arrays. Built through the ORM
    (select_related plus two array subqueries) the same statement cost ~2.7 ms of Python per
    request against ~0.2 ms to run; bench/README.md has the before and after. Elsewhere (SQLite
    in development) the ORM reads the rows and effective_permissions() reads the overrides when
    first asked.
    """
    if connection.vendor != "postgresql":
        with unscoped():  # the one lookup that must cross organizations, always by this user
            memberships = list(
                Membership.objects.filter(user=user, is_active=True)
                .select_related("organization")
                .order_by("organization__name", "organization_id")
            )
            for membership in memberships:
                Membership.user.field.set_cached_value(membership, user)
                effective_permissions(membership)  # now, not later under another org's scope
        return memberships
    rows = public_rows.fetch_all(_memberships_sql(), [user.pk], _MEMBERSHIP_PARTS)
    memberships = []
    for membership, organization, role_pairs, member_pairs in rows:
        Membership.organization.field.set_cached_value(membership, organization)
        Membership.user.field.set_cached_value(membership, user)  # the same person: no second read
        role = [(perm, flag == "true") for perm, flag in role_pairs]
        membership._effective_permissions = _resolve(membership, role, [tuple(pair) for pair in member_pairs])
        memberships.append(membership)
    return memberships


_MEMBERSHIP_PARTS = (
    public_rows.Part(Membership, "m", public_rows.plain_fields(Membership)),
    public_rows.Part(Organization, "o", public_rows.plain_fields(Organization)),
)


@functools.cache
def _memberships_sql() -> str:
    membership, organization = _MEMBERSHIP_PARTS
    role_override = public_rows.Part(RolePermission, "rp", ())
    member_override = public_rows.Part(MemberPermission, "mp", ())
    col, table = public_rows.column, public_rows.table
    # Each override as a two-element text array: an array of arrays keeps the pairs apart
    # without a separator that a permission name could contain.
    role_pairs = (
        f'SELECT ARRAY[{col(role_override, "permission")}, {col(role_override, "allowed")}::text] '
        f'FROM {table(role_override)} WHERE {col(role_override, "organization_id")} = '
        f'{col(membership, "organization_id")} AND {col(role_override, "role")} = {col(membership, "role")}'
    )
    member_pairs = (
        f'SELECT ARRAY[{col(member_override, "permission")}, {col(member_override, "effect")}] '
        f'FROM {table(member_override)} WHERE {col(member_override, "membership_id")} = {col(membership, "id")}'
    )
    return (
        f"SELECT {public_rows.select_list(_MEMBERSHIP_PARTS)}, "
        f"COALESCE((SELECT array_agg(pair) FROM ({role_pairs}) AS overrides(pair)), '{{}}'), "
        f"COALESCE((SELECT array_agg(pair) FROM ({member_pairs}) AS overrides(pair)), '{{}}') "
        f'FROM {table(membership)} JOIN {table(organization)} ON {col(organization, "id")} = '
        f'{col(membership, "organization_id")} '
        f'WHERE {col(membership, "user_id")} = %s AND {col(membership, "is_active")} '
        f'ORDER BY {col(organization, "name")}, {col(organization, "id")}'
    )


def has_perm(membership: Membership | None, permission: str) -> bool:
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}")
    return membership is not None and permission in effective_permissions(membership)
