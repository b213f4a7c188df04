"""Queues and ownership: system queues, claim / release / assign / bulk assign, who may do what."""
import pytest

from surrogates import services
from surrogates.models import Queue, Stage, Surrogate
from tenants.models import ActivityEvent, Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.django_db


def make(world, org, role=Role.ADMIN, **kwargs):
    with org_scope(org):
        return services.surrogate_create(membership=world.member(org, role), full_name=kwargs.pop("name", "Queue Person"), **kwargs)


def queue(org, key=Queue.UNASSIGNED):
    with org_scope(org):
        return Queue.objects.get(system_key=key)


def refreshed(org, surrogate):
    with org_scope(org):
        return Surrogate.objects.select_related("owner", "owner_queue").get(pk=surrogate.pk)


def test_every_new_organization_has_the_system_queues(world):
    for org in (world.org_a, world.org_b):
        with org_scope(org):
            assert set(Queue.objects.values_list("system_key", "name")) == {
                ("unassigned", "Unassigned"), ("surrogate_pool", "Surrogate Pool"),
            }
            services.queues_install_defaults(organization=org)  # idempotent
            assert Queue.objects.count() == 2


def test_a_lead_without_owner_lands_in_unassigned(world):
    surrogate = make(world, world.org_a)
    assert refreshed(world.org_a, surrogate).owner_queue == queue(world.org_a)
    assert refreshed(world.org_a, surrogate).owner is None


def test_intake_staff_never_see_queue_owned_records(client, world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    queued = make(world, world.org_a, name="Queued Quinn")
    mine = make(world, world.org_a, role=Role.INTAKE_SPECIALIST, name="Own Olive")
    login(client, intake)
    page = client.get("/surrogates/").content.decode()
    assert "Own Olive" in page and "Queued Quinn" not in page
    assert client.get(f"/surrogates/{queued.public_id}/").status_code == 404
    assert client.post(f"/surrogates/{queued.public_id}/claim/").status_code == 404
    assert refreshed(world.org_a, mine).owner == intake.user


def test_case_manager_claims_from_a_queue_and_it_is_logged(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a)
    response = login(client, case).post(f"/surrogates/{surrogate.public_id}/claim/")
    assert response.status_code == 302
    after = refreshed(world.org_a, surrogate)
    assert after.owner == case.user and after.owner_queue is None
    with org_scope(world.org_a):
        event = ActivityEvent.objects.filter(action="surrogate.owner_changed", target_id=str(surrogate.public_id)).get()
    assert event.data["via"] == "claim" and event.data["to"]["user_id"] == case.user.pk
    assert event.data["from"]["queue"] == str(queue(world.org_a).public_id)


def test_claim_twice_is_a_clear_message_not_an_error(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a)
    login(client, case)
    client.post(f"/surrogates/{surrogate.public_id}/claim/")
    response = client.post(f"/surrogates/{surrogate.public_id}/claim/", follow=True)
    assert "You already own this record." in response.content.decode()


def test_only_queue_members_claim_from_a_queue_with_members(world):
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a)
    with org_scope(world.org_a):
        screening = services.queue_create(membership=admin, name="Screening", users=[admin.user])
        services.surrogate_assign(membership=admin, surrogate=surrogate, queue=screening)
        with pytest.raises(services.SurrogateError, match="Only members of Screening"):
            services.surrogate_claim(membership=case, surrogate=surrogate)
        services.surrogate_claim(membership=admin, surrogate=surrogate)
    assert refreshed(world.org_a, surrogate).owner == admin.user


def test_intake_cannot_claim_even_their_visible_records(world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(world, world.org_a, role=Role.INTAKE_SPECIALIST)
    with org_scope(world.org_a), pytest.raises(services.SurrogateError, match="Your role does not allow this."):
        services.surrogate_claim(membership=intake, surrogate=surrogate)


def test_owner_releases_back_to_a_queue(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a, owner=case.user)
    pool = queue(world.org_a, Queue.SURROGATE_POOL)
    login(client, case).post(f"/surrogates/{surrogate.public_id}/release/", {"queue": str(pool.public_id)})
    after = refreshed(world.org_a, surrogate)
    assert after.owner is None and after.owner_queue == pool


def test_intake_cannot_assign_or_release_through_the_views(client, world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a, role=Role.INTAKE_SPECIALIST)
    login(client, intake)
    response = client.post(f"/surrogates/{surrogate.public_id}/assign/", {"target": f"u{case.user.pk}"}, follow=True)
    assert refreshed(world.org_a, surrogate).owner == intake.user
    assert response.status_code == 200
    response = client.post(f"/surrogates/{surrogate.public_id}/release/", {}, follow=True)
    assert "Your role does not allow this." in response.content.decode()
    assert refreshed(world.org_a, surrogate).owner == intake.user


def test_case_manager_assigns_to_a_person_and_to_a_queue(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(world, world.org_a)
    login(client, case)
    client.post(f"/surrogates/{surrogate.public_id}/assign/", {"target": f"u{intake.user.pk}"})
    assert refreshed(world.org_a, surrogate).owner == intake.user
    pool = queue(world.org_a, Queue.SURROGATE_POOL)
    client.post(f"/surrogates/{surrogate.public_id}/assign/", {"target": f"q{pool.public_id}"})
    assert refreshed(world.org_a, surrogate).owner_queue == pool


def test_assigning_to_another_orgs_member_is_refused(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    outsider = world.member(world.org_b, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a)
    login(client, case).post(f"/surrogates/{surrogate.public_id}/assign/", {"target": f"u{outsider.user.pk}"})
    assert refreshed(world.org_a, surrogate).owner is None


def test_bulk_assign_from_the_list_page(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    mine = [make(world, world.org_a, name=f"Bulk {i}") for i in range(3)]
    theirs = make(world, world.org_b, name="Other org")
    login(client, case)
    page = client.get("/surrogates/").content.decode()
    assert 'form="bulk-assign"' in page and 'id="bulk-assign"' in page
    ids = [str(s.public_id) for s in mine] + [str(theirs.public_id)]
    response = client.post("/surrogates/bulk-assign/", {"ids": ids, "target": f"u{case.user.pk}"}, follow=True)
    assert "Assigned 3 surrogates" in response.content.decode()
    assert all(refreshed(world.org_a, s).owner == case.user for s in mine)
    assert refreshed(world.org_b, theirs).owner is None


def test_intake_gets_no_bulk_assign(client, world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    mine = make(world, world.org_a, role=Role.INTAKE_SPECIALIST)
    login(client, intake)
    assert 'id="bulk-assign"' not in client.get("/surrogates/").content.decode()
    client.post("/surrogates/bulk-assign/", {"ids": [str(mine.public_id)], "target": f"q{queue(world.org_a).public_id}"})
    assert refreshed(world.org_a, mine).owner == intake.user


def test_bulk_assign_with_garbage_ids_is_a_message(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    response = login(client, case).post("/surrogates/bulk-assign/", {"ids": ["not-a-uuid"], "target": "u999999"}, follow=True)
    assert response.status_code == 200
    assert "Select surrogates" in response.content.decode()


def test_reaching_approved_hands_the_record_to_the_surrogate_pool(world):
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(world, world.org_a, owner=case.user)
    with org_scope(world.org_a):
        services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=Stage.objects.get(key="approved"))
    after = refreshed(world.org_a, surrogate)
    assert after.owner is None and after.owner_queue.system_key == Queue.SURROGATE_POOL


def test_queues_page_lists_counts(client, world):
    make(world, world.org_a)
    response = login(client, world.member(world.org_a, Role.CASE_MANAGER)).get("/surrogates/queues/")
    assert response.status_code == 200
    assert "Unassigned" in response.content.decode() and "Surrogate Pool" in response.content.decode()
