"""Shared set-up for matching tests: surrogates ready to match and intended parents."""
from matching import services
from surrogates import services as surrogate_services
from surrogates.models import Stage
from tenants.models import Role
from tenants.scope import org_scope


def ready_surrogate(world, org, name="Ready Surrogate", email=""):
    admin = world.member(org, Role.ADMIN)
    with org_scope(org):
        stage = Stage.objects.get(key="ready_to_match")
        return surrogate_services.surrogate_create(membership=admin, full_name=name, email=email, stage=stage)


def parent(world, org, name="Pat Parent", **extra):
    admin = world.member(org, Role.ADMIN)
    with org_scope(org):
        return services.intended_parent_create(membership=admin, full_name=name, **extra)


def proposed(world, org, surrogate=None, ip=None, by=Role.CASE_MANAGER):
    surrogate = surrogate or ready_surrogate(world, org)
    ip = ip or parent(world, org)
    with org_scope(org):
        return services.match_propose(membership=world.member(org, by), surrogate=surrogate, parent=ip)
