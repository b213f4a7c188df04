"""One of every issue-3 object in an org, for tests/test_url_sweep.py.

Kept minimal: the sweep tries every object id on every URL (pairs for two-id URLs), so each extra
object costs many requests. The system queues already exist in every org.
"""
import datetime

from matching import services
from surrogates import imports
from tenants.models import Role
from tenants.scope import org_scope
from tests.matching.helpers import parent, ready_surrogate


def populate(world, org):
    admin = world.member(org, Role.ADMIN)
    case = world.member(org, Role.CASE_MANAGER)
    surrogate = ready_surrogate(world, org, name=f"Match One {org.slug}")
    ip = parent(world, org, name=f"Parent A {org.slug}")
    with org_scope(org):
        match = services.match_propose(membership=case, surrogate=surrogate, parent=ip)
        match = services.match_accept(membership=admin, match=match)
        services.match_cancel(membership=case, match=match, reason="sweep")  # a pending MatchApproval
        services.event_create(
            membership=case, match=match, kind="exam", title="Exam",
            date=datetime.date.today() + datetime.timedelta(days=3), time=datetime.time(9), time_zone=org.timezone,
        )
        imports.job_create(membership=admin, file_name="sweep.csv", data=b"full_name,email\nSweep Import,si@example.com\n")
