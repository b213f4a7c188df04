"""The organization scope fails closed, is always reset, and never leaks between threads or tasks."""
import asyncio
import threading

import pytest

from surrogates import services
from surrogates.models import Note, Stage, Surrogate
from tenants.models import ActivityEvent, Membership, Role
from tenants.scope import ScopeError, current_org, org_scope, unscoped

pytestmark = pytest.mark.postgres


def _make(world, org, name):
    with org_scope(org):
        admin = world.member(org, Role.ADMIN)
        surrogate = services.surrogate_create(membership=admin, full_name=name)
        services.note_add(membership=admin, surrogate=surrogate, body=f"<p>note for {name}</p>")
        return surrogate


@pytest.fixture
def rows(world):
    return {
        "a": _make(world, world.org_a, "Alice A"),
        "b": _make(world, world.org_b, "Bea B"),
    }


def test_no_scope_all_raises(rows):
    with pytest.raises(ScopeError):
        Surrogate.objects.all()


def test_no_scope_filter_get_count_raise(rows):
    with pytest.raises(ScopeError):
        Surrogate.objects.filter(full_name="Alice A")
    with pytest.raises(ScopeError):
        Surrogate.objects.get(pk=rows["a"].pk)
    with pytest.raises(ScopeError):
        Stage.objects.count()
    with pytest.raises(ScopeError):
        Membership.objects.exists()


def test_no_scope_create_raises(world):
    with pytest.raises(ScopeError):
        ActivityEvent.objects.create(action="x", target_type="t", target_id="1")
    # Even with an explicit organization, the manager refuses to work outside a scope.
    with pytest.raises(ScopeError):
        ActivityEvent.objects.create(organization=world.org_a, action="x", target_type="t", target_id="1")


def test_no_scope_related_manager_raises(rows):
    surrogate = rows["a"]  # loaded while in scope, used after it
    with pytest.raises(ScopeError):
        list(surrogate.notes.all())
    with pytest.raises(ScopeError):
        surrogate.status_changes.count()


def test_no_scope_lookup_of_a_known_pk_raises(world, rows):
    with org_scope(world.org_a):
        note = Note.objects.get(surrogate=rows["a"])
    with pytest.raises(ScopeError):
        Note.objects.get(pk=note.pk)


def test_scope_a_sees_only_org_a_rows(world, rows):
    with org_scope(world.org_a):
        assert list(Surrogate.objects.values_list("full_name", flat=True)) == ["Alice A"]
        assert Surrogate.objects.filter(pk=rows["b"].pk).count() == 0
        with pytest.raises(Surrogate.DoesNotExist):
            Surrogate.objects.get(public_id=rows["b"].public_id)
        assert set(Stage.objects.values_list("organization_id", flat=True)) == {world.org_a.pk}
        assert set(Membership.objects.values_list("organization_id", flat=True)) == {world.org_a.pk}
        assert set(ActivityEvent.objects.values_list("organization_id", flat=True)) == {world.org_a.pk}
        assert list(Note.objects.values_list("surrogate_id", flat=True)) == [rows["a"].pk]


def test_related_manager_in_scope_b_does_not_show_org_a_children(world, rows):
    with org_scope(world.org_b):
        # An org A instance that somehow reached org B's code shows none of its children.
        assert list(rows["a"].notes.all()) == []
        assert rows["b"].notes.count() == 1


def test_create_in_scope_defaults_to_the_scoped_org(world):
    with org_scope(world.org_a):
        event = ActivityEvent.objects.create(action="x", target_type="t", target_id="1")
    assert event.organization_id == world.org_a.pk


def test_scope_is_reset_after_exception(world):
    assert current_org() is None
    with pytest.raises(ZeroDivisionError):
        with org_scope(world.org_a):
            assert current_org() == world.org_a
            1 / 0
    assert current_org() is None
    with pytest.raises(ScopeError):
        Surrogate.objects.all()


def test_nested_scope_restores_outer_scope_after_exception(world):
    with org_scope(world.org_a):
        with pytest.raises(ValueError):
            with org_scope(world.org_b):
                raise ValueError
        assert current_org() == world.org_a
    assert current_org() is None


def test_unscoped_is_reset_after_exception(world):
    with pytest.raises(KeyError):
        with unscoped():
            Surrogate.objects.count()
            raise KeyError
    with pytest.raises(ScopeError):
        Surrogate.objects.count()


def test_org_scope_refuses_none_and_unsaved(world):
    from tenants.models import Organization

    with pytest.raises(ScopeError):
        with org_scope(None):
            pass
    with pytest.raises(ScopeError):
        with org_scope(Organization(name="unsaved", slug="unsaved")):
            pass


def test_queryset_built_in_scope_stays_filtered_outside(world, rows):
    with org_scope(world.org_a):
        queryset = Surrogate.objects.all()
        notes = Note.objects.filter(body_html__contains="note")
    # Evaluated with no scope at all: still org A only, no error, no leak.
    assert [s.pk for s in queryset] == [rows["a"].pk]
    assert [n.surrogate_id for n in notes] == [rows["a"].pk]
    # And evaluated inside another org's scope: still org A only.
    with org_scope(world.org_b):
        assert [s.pk for s in queryset.all()] == [rows["a"].pk]


def test_unscoped_sees_every_org(world, rows):
    with unscoped():
        assert set(Surrogate.objects.values_list("pk", flat=True)) == {rows["a"].pk, rows["b"].pk}
        assert set(Stage.objects.values_list("organization_id", flat=True)) == {world.org_a.pk, world.org_b.pk}
    assert current_org() is None


def test_scope_does_not_leak_into_a_new_thread(world, rows):
    seen = {}

    def worker():
        seen["org"] = current_org()
        try:
            Surrogate.objects.count()
        except ScopeError:
            seen["error"] = True

    with org_scope(world.org_a):
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
    assert seen == {"org": None, "error": True}


def test_scope_in_a_thread_does_not_leak_back(world):
    def worker():
        with org_scope(world.org_b):
            barrier.wait()  # main thread checks while this thread is inside B's scope
            barrier.wait()

    barrier = threading.Barrier(2)
    thread = threading.Thread(target=worker)
    with org_scope(world.org_a):
        thread.start()
        barrier.wait()
        assert current_org() == world.org_a
        barrier.wait()
        thread.join()
    assert current_org() is None


def test_concurrent_async_tasks_keep_their_own_scope(world):
    org_a, org_b = world.org_a, world.org_b

    async def in_scope(org, results):
        with org_scope(org):
            for _ in range(5):
                await asyncio.sleep(0)
                results.append((org.pk, current_org().pk))

    async def main():
        results = []
        await asyncio.gather(in_scope(org_a, results), in_scope(org_b, results))
        return results, current_org()

    results, after = asyncio.run(main())
    assert len(results) == 10
    assert all(expected == seen for expected, seen in results)
    assert after is None
    assert current_org() is None


def test_saving_or_deleting_another_orgs_instance_inside_a_scope_is_refused(world, rows):
    # Model.save()/delete() use the unscoped base manager; the model refuses instead.
    intruder = rows["b"]
    intruder.full_name = "Renamed by A"
    with org_scope(world.org_a):
        with pytest.raises(ScopeError):
            intruder.save()
        with pytest.raises(ScopeError):
            intruder.delete()
        with pytest.raises(ScopeError):
            ActivityEvent(organization=world.org_b, action="x", target_type="t", target_id="1").save()
    with org_scope(world.org_b):
        assert Surrogate.objects.get(pk=intruder.pk).full_name == "Bea B"
