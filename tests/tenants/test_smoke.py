import pytest

from surrogates.models import Surrogate


@pytest.mark.postgres
def test_world_builds_and_scope_filters(world, scope_a):
    assert Surrogate.objects.count() == 0
