"""The security audit chain: what goes in, no raw PII, append-only, tampering detected."""
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from auditlog import chain
from auditlog.models import AuditEntry
from surrogates import services
from surrogates.models import Stage
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.django_db


def entries(org, **filters):
    with org_scope(org):
        return list(AuditEntry.objects.filter(**filters).order_by("seq"))


def verify(*args):
    out = io.StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def test_login_success_and_failure_are_chained_with_hashed_email_and_masked_ip(client, world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    client.post("/accounts/login/", {"username": member.user.email, "password": "wrong"}, REMOTE_ADDR="203.0.113.77")
    client.post("/accounts/login/", {"username": member.user.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.77")
    failed = entries(world.org_a, action="auth.login_failed")
    succeeded = entries(world.org_a, action="auth.login_succeeded")
    assert len(failed) == 1 and len(succeeded) == 1
    assert failed[0].ip == "203.0.113.0/24"
    assert member.user.email not in str(failed[0].data) and len(failed[0].data["email_hash"]) == 64
    assert not entries(world.org_b, action__startswith="auth.")


def test_security_events_feed_the_chain_from_audit_record(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(membership=admin, full_name="Chain Person")
    login(client, admin).get(f"/surrogates/{surrogate.public_id}/")
    actions = [e.action for e in entries(world.org_a)]
    assert "surrogate.viewed" in actions  # viewing the full record
    assert "membership.saved" in actions  # role grants of the world's members
    assert "surrogate.created" not in actions  # ordinary work stays in the activity log only
    viewed = entries(world.org_a, action="surrogate.viewed")[0]
    assert viewed.actor_id == admin.user.pk and viewed.target_id == str(surrogate.public_id)
    assert "Chain Person" not in str(viewed.data)


def test_an_approved_regression_is_chained(world):
    admin = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        stages = {s.key: s for s in Stage.objects.all()}
        surrogate = services.surrogate_create(membership=admin, full_name="Back Again")
        services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=stages["contacted"])
        services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=stages["qualified"])
        request = services.surrogate_change_status(
            membership=admin, surrogate=surrogate, to_stage=stages["new_unread"], reason="Wrong call"
        )
        services.status_request_approve(membership=admin, request=request)
    approved = entries(world.org_a, action="surrogate.stage_changed")
    assert len(approved) == 1 and approved[0].data["kind"] == "approved_regression"


def test_audit_page_is_for_admins_with_filters(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    assert client.get("/audit/").status_code == 403
    login(client, admin)
    page = client.get("/audit/?action=membership.saved").content.decode()
    assert "<code>membership.saved</code>" in page and "<code>auth.login_succeeded</code>" not in page
    assert client.get("/audit/?since=not-a-date&actor=abc").status_code == 200
    assert "agency-b" not in client.get("/audit/").content.decode()


def test_verify_reports_ok_then_the_first_tampered_row(world):
    for _ in range(3):
        chain.append(organization_id=world.org_a.pk, action="test.event", data={"n": 1})
    assert "agency-a: OK" in verify()
    rows = entries(world.org_a)
    victim = rows[len(rows) // 2]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser bypassing the trigger
        cursor.execute("UPDATE auditlog_auditentry SET data = %s WHERE id = %s", ['{"n": 2}', victim.pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")
    out = io.StringIO()
    with pytest.raises(CommandError, match="agency-a"):
        call_command("verify_audit_chain", stdout=out)
    assert f"BROKEN at entry #{victim.seq}" in out.getvalue()
    assert "changed after it was written" in out.getvalue()
    assert "agency-b: OK" in out.getvalue()


def test_a_deleted_row_is_a_missing_link(world):
    for _ in range(3):
        chain.append(organization_id=world.org_b.pk, action="test.event")
    rows = entries(world.org_b)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # a superuser bypassing the trigger
        cursor.execute("DELETE FROM auditlog_auditentry WHERE id = %s", [rows[1].pk])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", "--org", "agency-b", stdout=out)
    assert f"entry #{rows[1].seq} is missing" in out.getvalue()


@pytest.mark.postgres
def test_postgres_refuses_updates_and_deletes(world):
    entry = chain.append(organization_id=world.org_a.pk, action="test.event")
    for sql in ("UPDATE auditlog_auditentry SET action = 'x' WHERE id = %s", "DELETE FROM auditlog_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])


def test_the_model_refuses_save_and_delete_of_an_existing_entry(world):
    entry = chain.append(organization_id=world.org_a.pk, action="test.event")
    with org_scope(world.org_a):
        with pytest.raises(PermissionError):
            entry.save()
        with pytest.raises(PermissionError):
            entry.delete()
