"""The one-statement append (auditlog_append, migration 0002): the database hashes exactly what
Python verifies, concurrent appenders and concurrent full-record views all land in one intact
chain with no gap, and the Python path (SQLite, fallback) links onto the same chain."""
import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client

from auditlog import chain
from auditlog.models import AuditEntry
from surrogates import services
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

AWKWARD = {
    "note": 'quote " backslash \\ slash / tab \t newline \n',
    "unicode": "Zoë 東京 \u2028 \U0001f600",
    "nested": {"b": [1, 2.5, None, True], "a": {"z": "", "y": -3}},
    "big": 2**62,
}


def entries(org):
    with org_scope(org):
        return list(AuditEntry.objects.filter(organization_id=org.pk).order_by("seq"))


def verify_output():
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)  # raises CommandError on a broken link
    return out.getvalue()


def run_together(workers):
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(work):
        try:
            barrier.wait()
            work()
        except Exception as exc:  # reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_the_database_hashes_what_python_verifies(world):
    before = len(entries(world.org_a))
    made = [
        chain.append(organization_id=world.org_a.pk, action="test.awkward", data=AWKWARD, ip="198.51.100.23"),
        chain.append(organization_id=world.org_a.pk, action="test.empty", actor_id=None),
        chain.append(organization_id=world.org_a.pk, action="test.actor", actor_id=7, target_type="x.y", target_id="ü"),
    ]
    stored = entries(world.org_a)[before:]
    assert [e.seq for e in stored] == [before + 1, before + 2, before + 3]
    for returned, row in zip(made, stored):
        assert (returned.pk, returned.seq, returned.entry_hash, returned.prev_hash) == (
            row.pk, row.seq, row.entry_hash, row.prev_hash
        )
        assert returned.created_at == row.created_at
        recomputed = chain.entry_digest(
            organization_id=row.organization_id, seq=row.seq, created_at=row.created_at, actor_id=row.actor_id,
            action=row.action, target_type=row.target_type, target_id=row.target_id, data=row.data, ip=row.ip,
            prev_hash=row.prev_hash,
        )
        assert recomputed == row.entry_hash
    assert stored[0].data == AWKWARD and stored[0].ip == "198.51.100.0/24"
    assert stored[1].prev_hash == stored[0].entry_hash and stored[2].prev_hash == stored[1].entry_hash
    assert "agency-a: OK" in verify_output()


def test_a_returned_entry_is_a_saved_append_only_row(world):
    entry = chain.append(organization_id=world.org_a.pk, action="test.event")
    with org_scope(world.org_a):
        with pytest.raises(PermissionError):
            entry.save()


def test_the_python_path_and_the_database_path_link_onto_one_chain(world, monkeypatch):
    chain.append(organization_id=world.org_b.pk, action="test.database")
    monkeypatch.setattr(chain, "_canonical_pieces", lambda fields: None)  # e.g. SQLite, or a marker clash
    chain.append(organization_id=world.org_b.pk, action="test.python", data=AWKWARD)
    monkeypatch.undo()
    chain.append(organization_id=world.org_b.pk, action="test.database")
    assert [e.action for e in entries(world.org_b)][-3:] == ["test.database", "test.python", "test.database"]
    assert "agency-b: OK" in verify_output()


def test_an_append_inside_a_rolled_back_transaction_leaves_no_link(world):
    before = len(entries(world.org_a))

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        chain.append(organization_id=world.org_a.pk, action="test.rolled_back")
        raise Abort
    chain.append(organization_id=world.org_a.pk, action="test.kept")
    after = entries(world.org_a)
    assert len(after) == before + 1 and after[-1].action == "test.kept" and after[-1].seq == before + 1
    assert "agency-a: OK" in verify_output()


def test_concurrent_appends_make_one_gapless_chain(world):
    before_a, before_b = len(entries(world.org_a)), len(entries(world.org_b))
    per_worker, workers = 25, 8

    def worker(org, n):
        def work():
            for i in range(per_worker):
                chain.append(organization_id=org.pk, action="test.concurrent", data={"worker": n, "i": i})
        return work

    errors = run_together([worker(world.org_a if n % 4 else world.org_b, n) for n in range(workers)])
    assert errors == []
    rows_a, rows_b = entries(world.org_a), entries(world.org_b)
    assert len(rows_a) - before_a == 6 * per_worker and len(rows_b) - before_b == 2 * per_worker
    assert [e.seq for e in rows_a] == list(range(1, len(rows_a) + 1))
    # Every worker's own appends appear in the order it made them.
    for n in range(workers):
        mine = [e.data["i"] for e in rows_a + rows_b if e.action == "test.concurrent" and e.data["worker"] == n]
        assert mine == list(range(per_worker))
    out = verify_output()
    assert "agency-a: OK" in out and "agency-b: OK" in out


def test_concurrent_full_record_views_are_all_chained(world):
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_a):
        surrogates = [services.surrogate_create(membership=admin, full_name=f"Viewed {i}") for i in range(3)]
    before = len(entries(world.org_a))
    views_each = 5

    def viewer(membership):
        client = login(Client(), membership)

        def work():
            for i in range(views_each):
                for surrogate in surrogates:
                    assert client.get(f"/surrogates/{surrogate.public_id}/").status_code == 200
        return work

    errors = run_together([viewer(admin), viewer(case), viewer(admin), viewer(case)])
    assert errors == []
    viewed = [e for e in entries(world.org_a)[before:] if e.action == "surrogate.viewed"]
    assert len(viewed) == 4 * views_each * len(surrogates)
    for surrogate in surrogates:
        assert sum(e.target_id == str(surrogate.public_id) for e in viewed) == 4 * views_each
    assert {e.actor_id for e in viewed} == {admin.user.pk, case.user.pk}
    assert "agency-a: OK" in verify_output()


def test_a_view_is_one_statement_of_audit(client, world):
    from django.test.utils import CaptureQueriesContext

    admin = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(membership=admin, full_name="Counted")
    login(client, admin).get(f"/surrogates/{surrogate.public_id}/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/surrogates/{surrogate.public_id}/").status_code == 200
    audit = [q["sql"] for q in captured.captured_queries if "auditlog" in q["sql"] or "advisory" in q["sql"]]
    assert len(audit) == 1 and "auditlog_append" in audit[0]


def test_an_organization_id_given_as_text_still_verifies(world, monkeypatch):
    chain.append(organization_id=str(world.org_b.pk), action="test.text_id")
    monkeypatch.setattr(chain, "_canonical_pieces", lambda fields: None)
    chain.append(organization_id=str(world.org_b.pk), action="test.text_id")
    assert "agency-b: OK" in verify_output()
