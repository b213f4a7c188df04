"""Who may do what. Checked on the server for every action.

Resolution for one permission: a member's revoke beats a member's grant, which beats the
organization's role override, which beats the role default.
"""
from django.db import connection

from tenants.models import MemberPermission, Membership, Role, RolePermission

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


def with_permissions(memberships) -> list[Membership]:
    """Evaluate a membership queryset with each row's effective permissions read in the same statement.

    Every signed-in request reads its memberships and then the permissions of the active one:
    three statements, two of them only for the (usually empty) override lists. On PostgreSQL the
    overrides come along as arrays; elsewhere (SQLite in development) the rows are returned as
    they are and effective_permissions() reads the overrides when first asked, as before.
    """
    if connection.vendor != "postgresql":
        return list(memberships)
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import CharField, OuterRef, Value
    from django.db.models.functions import Cast, Concat

    # "permission|allowed" / "permission|effect": permission names never contain "|".
    role_pairs = RolePermission.objects.filter(
        organization_id=OuterRef("organization_id"), role=OuterRef("role")
    ).values(pair=Concat("permission", Value("|"), Cast("allowed", CharField())))
    member_pairs = MemberPermission.objects.filter(membership_id=OuterRef("pk")).values(
        pair=Concat("permission", Value("|"), "effect")
    )
    rows = list(memberships.annotate(role_pairs=ArraySubquery(role_pairs), member_pairs=ArraySubquery(member_pairs)))
    for m in rows:
        role = [(perm, flag == "true") for perm, _, flag in (pair.partition("|") for pair in m.role_pairs)]
        member = [(perm, effect) for perm, _, effect in (pair.partition("|") for pair in m.member_pairs)]
        m._effective_permissions = _resolve(m, role, member)
    return rows


def has_perm(membership: Membership | None, permission: str) -> bool:
    if permission not in ALL_PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}")
    return membership is not None and permission in effective_permissions(membership)
