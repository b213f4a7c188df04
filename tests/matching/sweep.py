"""One of every issue-3 object in an org, for tests/test_url_sweep.py."""
import datetime

from matching import services
from surrogates import imports
from surrogates import services as surrogate_services
from tenants.models import Role
from tenants.scope import org_scope
from tests.matching.helpers import parent, ready_surrogate


def populate(world, org):
    admin = world.member(org, Role.ADMIN)
    case = world.member(org, Role.CASE_MANAGER)
    first = ready_surrogate(world, org, name=f"Match One {org.slug}")
    second = ready_surrogate(world, org, name=f"Match Two {org.slug}")
    ip_a = parent(world, org, name=f"Parent A {org.slug}")
    ip_b = parent(world, org, name=f"Parent B {org.slug}")
    with org_scope(org):
        surrogate_services.queue_create(membership=admin, name=f"Sweep queue {org.slug}", users=[case.user])
        accepted = services.match_propose(membership=case, surrogate=first, parent=ip_a)
        services.match_accept(membership=admin, match=accepted)
        services.match_propose(membership=case, surrogate=second, parent=ip_b)
        services.match_cancel(membership=case, match=accepted, reason="sweep")
        services.intended_parent_change_status(membership=admin, parent=ip_b, to_status="ready_to_match")
        services.intended_parent_change_status(membership=case, parent=ip_b, to_status="new", reason="sweep")
        services.event_create(
            membership=case, match=accepted, kind="exam", title="Exam",
            date=datetime.date.today() + datetime.timedelta(days=3), time=datetime.time(9), time_zone=org.timezone,
        )
        imports.job_create(membership=admin, file_name="sweep.csv", data=b"full_name,email\nSweep Import,si@example.com\n")
