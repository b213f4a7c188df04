"""Team objects for tests/test_url_sweep.py: a pending invitation and a deactivated member per org
(the World's memberships are already there, each with a public id)."""
from tenants.invitations import invitation_create
from tenants.models import Role
from tenants.scope import org_scope
from tenants.services import member_add
from tenants.team import member_deactivate


def populate(world, org):
    admin = world.member(org, Role.ADMIN)
    with org_scope(org):
        invitation_create(membership=admin, email=f"sweep-invitee@{org.slug}.test", role=Role.CASE_MANAGER)
        former = member_add(organization=org, email=f"former@{org.slug}.test", role=Role.INTAKE_SPECIALIST)
        member_deactivate(membership=admin, member=former)
