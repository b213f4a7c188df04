"""Intended parents and matches: numbers, PII at rest, status flow, propose / review / accept / cancel."""
import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from matching import services
from matching.models import IntendedParent, Match, MatchApproval, MatchEvent, MatchStatus
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.pii import email_hash
from tenants.scope import org_scope
from tests.conftest import login
from tests.matching.helpers import parent, proposed, ready_surrogate

pytestmark = pytest.mark.django_db


def fresh(org, obj):
    with org_scope(org):
        return type(obj).objects.get(pk=obj.pk)


def test_intended_parents_get_per_org_numbers_and_encrypted_contact(world):
    first = parent(world, world.org_a, email="Pat@Example.com", phone="555-010-2000", internal_notes="private")
    second = parent(world, world.org_a)
    other = parent(world, world.org_b)
    assert (first.ip_number, second.ip_number, other.ip_number) == ("I10001", "I10002", "I10001")
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, phone, internal_notes FROM matching_intendedparent WHERE id = %s", [first.pk])
        raw = cursor.fetchone()
    assert "Example" not in raw[0] and "2000" not in raw[1] and "private" not in raw[2]
    assert fresh(world.org_a, first).email_hash == email_hash("pat@example.com")


def test_same_pair_twice_is_refused(world):
    match = proposed(world, world.org_a)
    with org_scope(world.org_a), pytest.raises(services.MatchingError, match="already proposed"):
        services.match_propose(
            membership=world.member(world.org_a, Role.ADMIN), surrogate=match.surrogate, parent=match.intended_parent
        )


def test_first_view_by_someone_else_moves_to_reviewing(client, world):
    match = proposed(world, world.org_a, by=Role.CASE_MANAGER)
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    assert client.get(f"/matches/{match.public_id}/").status_code == 200
    assert fresh(world.org_a, match).status == MatchStatus.PROPOSED  # the proposer's own view
    login(client, world.member(world.org_a, Role.ADMIN))
    assert client.get(f"/matches/{match.public_id}/").status_code == 200
    after = fresh(world.org_a, match)
    assert after.status == MatchStatus.REVIEWING
    assert after.first_viewed_by == world.member(world.org_a, Role.ADMIN).user


def test_accept_moves_both_sides_to_matched_and_cancels_other_proposals(client, world):
    surrogate = ready_surrogate(world, world.org_a)
    chosen = proposed(world, world.org_a, surrogate=surrogate, ip=parent(world, world.org_a, name="Chosen"))
    other = proposed(world, world.org_a, surrogate=surrogate, ip=parent(world, world.org_a, name="Other"))
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(f"/matches/{chosen.public_id}/accept/")
    assert response.status_code == 302
    assert fresh(world.org_a, chosen).status == MatchStatus.ACCEPTED
    assert fresh(world.org_a, other).status == MatchStatus.CANCELLED
    with org_scope(world.org_a):
        assert Surrogate.objects.get(pk=surrogate.pk).stage.key == "matched"
        assert IntendedParent.objects.get(pk=chosen.intended_parent_id).status == "matched"
        assert IntendedParent.objects.get(pk=other.intended_parent_id).status == "new"


def test_accepting_a_cancelled_proposal_is_a_clear_message(client, world):
    surrogate = ready_surrogate(world, world.org_a)
    chosen = proposed(world, world.org_a, surrogate=surrogate)
    other = proposed(world, world.org_a, surrogate=surrogate, ip=parent(world, world.org_a, name="Other"))
    login(client, world.member(world.org_a, Role.ADMIN))
    client.post(f"/matches/{chosen.public_id}/accept/")
    response = client.post(f"/matches/{other.public_id}/accept/", follow=True)
    assert response.status_code == 200
    assert "another match for this surrogate was accepted first" in response.content.decode()


def test_the_database_allows_one_accepted_match_per_surrogate(world):
    first = proposed(world, world.org_a)
    second = proposed(world, world.org_a, surrogate=first.surrogate, ip=parent(world, world.org_a, name="Second"))
    with org_scope(world.org_a):
        Match.objects.filter(pk=first.pk).update(status=MatchStatus.ACCEPTED)
        with pytest.raises(IntegrityError), transaction.atomic():
            Match.objects.filter(pk=second.pk).update(status=MatchStatus.ACCEPTED)


def test_cancelling_an_accepted_match_needs_admin_approval(client, world):
    match = proposed(world, world.org_a)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    admin = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        services.match_accept(membership=admin, match=match)
    login(client, case)
    client.post(f"/matches/{match.public_id}/cancel/", {"note": "Parents withdrew."})
    assert fresh(world.org_a, match).status == MatchStatus.ACCEPTED
    with org_scope(world.org_a):
        approval = MatchApproval.objects.get(match=match, state="pending")
    # A case manager cannot approve; the admin can, from the approvals page.
    client.post(f"/matches/approvals/{approval.public_id}/approve/")
    assert fresh(world.org_a, approval).state == "pending"
    login(client, admin)
    assert approval.reason in client.get("/surrogates/approvals/").content.decode()
    client.post(f"/matches/approvals/{approval.public_id}/approve/")
    assert fresh(world.org_a, match).status == MatchStatus.CANCELLED
    with org_scope(world.org_a):
        assert Surrogate.objects.get(pk=match.surrogate_id).stage.key == "ready_to_match"
        assert IntendedParent.objects.get(pk=match.intended_parent_id).status == "ready_to_match"


def test_intended_parent_moves_back_only_through_approval(client, world):
    ip = parent(world, world.org_a)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, case)
    client.post(f"/matches/parents/{ip.public_id}/status/", {"to_status": "ready_to_match"})
    assert fresh(world.org_a, ip).status == "ready_to_match"
    response = client.post(f"/matches/parents/{ip.public_id}/status/", {"to_status": "new"})
    assert response.status_code == 400 and "A reason is required" in response.content.decode()
    client.post(f"/matches/parents/{ip.public_id}/status/", {"to_status": "new", "reason": "Paused their search."})
    assert fresh(world.org_a, ip).status == "ready_to_match"
    with org_scope(world.org_a):
        approval = MatchApproval.objects.get(intended_parent=ip, state="pending")
        services.approval_approve(membership=world.member(world.org_a, Role.ADMIN), approval=approval)
    assert fresh(world.org_a, ip).status == "new"


def test_intake_specialists_get_403_on_matching_pages(client, world):
    match = proposed(world, world.org_a)
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    for url in ("/matches/", "/matches/parents/", "/matches/calendar/", f"/matches/parents/{match.intended_parent.public_id}/"):
        assert client.get(url).status_code == 403, url


def test_coordinator_creates_edits_and_lists_intended_parents(client, world):
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    response = client.post(
        "/matches/parents/new/", {"full_name": "Robin Example", "email": "robin@example.com", "state": "OR", "budget": "120000"}
    )
    assert response.status_code == 302
    with org_scope(world.org_a):
        ip = IntendedParent.objects.get()
    assert client.get(response["Location"]).status_code == 200
    client.post(f"/matches/parents/{ip.public_id}/edit/", {"full_name": "Robin Q. Example", "budget": "125000"})
    assert fresh(world.org_a, ip).full_name == "Robin Q. Example"
    assert "Robin Q. Example" in client.get("/matches/parents/?q=I10001").content.decode()
    bad = client.post("/matches/parents/new/", {"full_name": "X", "budget": "lots"})
    assert bad.status_code == 400


def test_propose_in_the_browser_form(client, world):
    surrogate = ready_surrogate(world, world.org_a, name="Sunny Ready")
    ip = parent(world, world.org_a, name="Casey Parent")
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    page = client.get(f"/matches/propose/?surrogate={surrogate.public_id}").content.decode()
    assert "Sunny Ready" in page and "Casey Parent" in page
    response = client.post("/matches/propose/", {"surrogate": str(surrogate.public_id), "intended_parent": str(ip.public_id)})
    assert response.status_code == 302
    again = client.post("/matches/propose/", {"surrogate": str(surrogate.public_id), "intended_parent": str(ip.public_id)})
    assert again.status_code == 400 and "already proposed" in again.content.decode()


def test_calendar_events_keep_their_time_zone(client, world):
    match = proposed(world, world.org_a)
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    day = datetime.date.today() + datetime.timedelta(days=10)
    response = client.post(
        f"/matches/{match.public_id}/events/",
        {"kind": "legal", "title": "Contract call", "date": day.isoformat(), "time": "15:30", "time_zone": "Europe/Paris"},
    )
    assert response.status_code == 302
    with org_scope(world.org_a):
        event = MatchEvent.objects.get()
    assert event.starts_at.astimezone(datetime.timezone.utc).hour in (13, 14)  # 15:30 Paris, CET or CEST
    page = client.get(f"/matches/calendar/?month={day:%Y-%m}").content.decode()
    assert "Contract call" in page
    assert client.get("/matches/calendar/?month=garbage").status_code == 200
    bad = client.post(f"/matches/{match.public_id}/events/", {"kind": "legal", "date": "2026-13-45", "time_zone": "Mars/Base"})
    assert bad.status_code == 400
    client.post(f"/matches/{match.public_id}/events/{event.public_id}/delete/")
    with org_scope(world.org_a):
        assert not MatchEvent.objects.exists()


def test_own_matching_urls_answer(client, world):
    match = proposed(world, world.org_a)
    login(client, world.member(world.org_a, Role.ADMIN))
    for url in (
        f"/matches/{match.public_id}/",
        f"/matches/parents/{match.intended_parent.public_id}/",
        f"/matches/parents/{match.intended_parent.public_id}/edit/",
        f"/matches/surrogate/{match.surrogate.public_id}/",
        f"/surrogates/{match.surrogate.public_id}/",
    ):
        assert client.get(url).status_code == 200, url
