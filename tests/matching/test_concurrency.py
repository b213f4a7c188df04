"""Two coordinators accept two different proposals for one surrogate at the same moment, on two
real PostgreSQL connections: one wins, the other gets a clear message, nobody gets a 500."""
import threading

import pytest
from django.db import connections
from django.test import Client

from matching import services
from matching.models import Match, MatchStatus
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login
from tests.matching.helpers import parent, proposed, ready_surrogate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _two_proposals(world):
    surrogate = ready_surrogate(world, world.org_a)
    first = proposed(world, world.org_a, surrogate=surrogate, ip=parent(world, world.org_a, name="First"))
    second = proposed(world, world.org_a, surrogate=surrogate, ip=parent(world, world.org_a, name="Second"))
    return surrogate, first, second


def _race(workers):
    barrier = threading.Barrier(len(workers))
    results, errors = [None] * len(workers), []

    def run(index, work):
        try:
            barrier.wait()
            results[index] = work()
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, errors


def test_two_concurrent_accepts_in_the_service_one_wins(world):
    surrogate, first, second = _two_proposals(world)
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)

    def accept(membership, match):
        def work():
            with org_scope(world.org_a):
                try:
                    services.match_accept(membership=membership, match=match)
                    return "accepted"
                except services.MatchingError as exc:
                    return str(exc)

        return work

    results, errors = _race([accept(admin, first), accept(case, second)])
    assert not errors, errors
    assert sorted(results, key=lambda r: r != "accepted")[0] == "accepted"
    loser = next(r for r in results if r != "accepted")
    assert "accepted first" in loser
    with org_scope(world.org_a):
        assert Match.objects.filter(surrogate=surrogate, status=MatchStatus.ACCEPTED).count() == 1


def test_two_concurrent_accept_clicks_over_http_never_500(world):
    surrogate, first, second = _two_proposals(world)

    def click(role, match):
        def work():
            client = login(Client(), world.member(world.org_a, role))
            response = client.post(f"/matches/{match.public_id}/accept/", follow=True)
            return response.status_code, response.content.decode()

        return work

    results, errors = _race([click(Role.ADMIN, first), click(Role.CASE_MANAGER, second)])
    assert not errors, errors
    assert [code for code, _ in results] == [200, 200]
    pages = [page for _, page in results]
    assert sum("Match accepted" in page for page in pages) == 1
    assert sum("accepted first" in page for page in pages) == 1
    with org_scope(world.org_a):
        assert Match.objects.filter(surrogate=surrogate, status=MatchStatus.ACCEPTED).count() == 1
