"""Two coordinators move one surrogate at the same moment, on two real PostgreSQL connections:
the row lock serialises them, history stays consistent, nobody gets an exception."""
import pytest

from surrogates import services
from surrogates.models import Stage, StatusChange, Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.matching.test_concurrency import _race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_forward_moves_are_serialised(world):
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_a):
        stages = {stage.key: stage for stage in Stage.objects.all()}
        surrogate = services.surrogate_create(membership=admin, full_name="Race Person", owner=case.user)

    def move(membership, key):
        def work():
            with org_scope(world.org_a):
                try:
                    services.surrogate_change_status(membership=membership, surrogate=surrogate, to_stage=stages[key])
                    return "moved"
                except services.SurrogateError as exc:
                    return str(exc)

        return work

    results, errors = _race([move(admin, "contacted"), move(admin, "qualified")])
    assert errors == []
    # Whichever locks second sees the first's result: it moves on, or (contacted after
    # qualified) is refused as a regression without a reason. Never an exception.
    assert "moved" in results
    assert all(r in ("moved", "A reason is required for moving back to an earlier stage.") for r in results)
    with org_scope(world.org_a):
        final = Surrogate.objects.get(pk=surrogate.pk)
        history = list(StatusChange.objects.filter(surrogate=surrogate).order_by("recorded_at", "id"))
    # Each change starts where the previous one ended: the second saw the first's result.
    assert [c.from_stage_id for c in history[1:]] == [c.to_stage_id for c in history[:-1]]
    assert final.stage_id == history[-1].to_stage_id
