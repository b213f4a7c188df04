"""Surrogate records at the service level: numbers, one active record per email, notes, audit without PII."""
import json

import pytest

from surrogates import services
from surrogates.models import Note, Surrogate
from surrogates.services import SurrogateError
from tenants.models import ActivityEvent, Role
from tenants.scope import org_scope, unscoped

pytestmark = pytest.mark.postgres


def _create(world, org, name="Someone", **kwargs):
    with org_scope(org):
        return services.surrogate_create(membership=world.member(org, Role.ADMIN), full_name=name, **kwargs)


def test_numbers_are_sequential_per_org_and_independent(world):
    a1, a2 = _create(world, world.org_a), _create(world, world.org_a)
    b1 = _create(world, world.org_b)
    a3 = _create(world, world.org_a)
    assert [a1.surrogate_number, a2.surrogate_number, a3.surrogate_number] == ["S10001", "S10002", "S10003"]
    assert b1.surrogate_number == "S10001"


def test_numbers_are_never_reused_after_deletion(world):
    first, second = _create(world, world.org_a), _create(world, world.org_a)
    with org_scope(world.org_a):
        second.delete()
        first.delete()
    assert _create(world, world.org_a).surrogate_number == "S10003"


def test_failed_create_does_not_consume_a_number_visible_later(world):
    _create(world, world.org_a, email="dup@x.test")
    with pytest.raises(SurrogateError):
        _create(world, world.org_a, email="DUP@x.test ")
    nxt = _create(world, world.org_a)
    # The refused create rolled back, so the sequence simply continues (no duplicates either way).
    assert nxt.surrogate_number in ("S10002", "S10003")
    with org_scope(world.org_a):
        numbers = list(Surrogate.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


def test_one_active_record_per_email_per_org(world):
    _create(world, world.org_a, email="maya@example.com")
    with pytest.raises(SurrogateError, match="already exists"):
        _create(world, world.org_a, email="  MAYA@example.com ")
    # Another organization may hold the same email.
    assert _create(world, world.org_b, email="maya@example.com").email == "maya@example.com"


def test_editing_into_a_taken_email_is_refused(world):
    _create(world, world.org_a, email="taken@example.com")
    other = _create(world, world.org_a, email="free@example.com")
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError, match="already exists"):
            services.surrogate_update(
                membership=world.member(world.org_a, Role.ADMIN), surrogate=other, email="Taken@Example.com"
            )
        assert Surrogate.objects.get(pk=other.pk).email == "free@example.com"


def test_archive_frees_the_email_and_restore_is_refused_while_it_is_taken(world):
    admin = world.member(world.org_a, Role.ADMIN)
    old = _create(world, world.org_a, email="again@example.com")
    with org_scope(world.org_a):
        services.surrogate_archive(membership=admin, surrogate=old)
    new = _create(world, world.org_a, email="again@example.com")
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError, match="already exists"):
            services.surrogate_restore(membership=admin, surrogate=Surrogate.objects.get(pk=old.pk))
        assert Surrogate.objects.get(pk=old.pk).archived_at is not None
        services.surrogate_archive(membership=admin, surrogate=new)
        restored = services.surrogate_restore(membership=admin, surrogate=Surrogate.objects.get(pk=old.pk))
        assert restored.archived_at is None


def test_archive_needs_the_permission(world):
    surrogate = _create(world, world.org_a)
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError, match="role does not allow"):
            services.surrogate_archive(membership=world.member(world.org_a, Role.INTAKE_SPECIALIST), surrogate=surrogate)


def test_notes_are_sanitised(world):
    surrogate = _create(world, world.org_a)
    body = (
        '<p onclick="steal()">Hello <strong>there</strong></p>'
        "<script>alert(document.cookie)</script>"
        '<img src=x onerror="alert(1)">'
        '<a href="javascript:alert(2)" onmouseover="x()">bad link</a>'
        '<a href="https://example.com/">good link</a>'
        "<iframe src='https://evil.test'></iframe><style>body{}</style>"
    )
    with org_scope(world.org_a):
        note = services.note_add(membership=world.member(world.org_a, Role.CASE_MANAGER), surrogate=surrogate, body=body)
        stored = Note.objects.get(pk=note.pk).body_html
    lowered = stored.lower()
    for bad in ("<script", "alert(document", "onerror", "onclick", "onmouseover", "javascript:", "<img", "<iframe", "<style"):
        assert bad not in lowered, bad
    assert "<strong>there</strong>" in stored
    assert 'href="https://example.com/"' in stored and "noopener" in stored


def test_empty_note_after_sanitising_is_refused(world):
    surrogate = _create(world, world.org_a)
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError, match="empty"):
            services.note_add(membership=world.member(world.org_a, Role.ADMIN), surrogate=surrogate, body="<script>x</script>")


def test_activity_log_carries_no_pii(world):
    name, email, phone, dob = "Planted Pii-Name", "planted.pii@example.com", "+1 555 010 9999", "1990-02-03"
    import datetime

    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = _create(
        world, world.org_a, name=name, email=email, phone=phone, date_of_birth=datetime.date(1990, 2, 3)
    )
    with org_scope(world.org_a):
        services.surrogate_update(
            membership=admin, surrogate=surrogate, full_name=name + " Jr", email="second." + email,
            phone="+1 555 010 8888", priority="high",
        )
        services.note_add(membership=admin, surrogate=surrogate, body=f"<p>{name} {email}</p>")
        services.task_create(membership=admin, surrogate=surrogate, title="Call back")
        services.surrogate_archive(membership=admin, surrogate=surrogate)
        events = list(ActivityEvent.objects.filter(target_id=str(surrogate.public_id)))
    assert {e.action for e in events} >= {"surrogate.created", "surrogate.updated", "note.added", "task.created", "surrogate.archived"}
    blob = json.dumps([[e.action, e.target_type, e.target_id, e.data] for e in events]).lower()
    for planted in (name, "pii-name", email, "planted.pii", "5550109999", "555 010 9999", "5550108888", dob, "1990"):
        assert planted.lower() not in blob, planted
    updated = next(e for e in events if e.action == "surrogate.updated")
    assert updated.data["full_name"] == "changed" and updated.data["priority"] == "high"


def test_outsider_cannot_see_records_through_the_scope(world):
    surrogate = _create(world, world.org_a, name="Private Person")
    with org_scope(world.org_b):
        assert not Surrogate.objects.filter(public_id=surrogate.public_id).exists()
    with unscoped():
        assert Surrogate.objects.filter(public_id=surrogate.public_id).exists()
