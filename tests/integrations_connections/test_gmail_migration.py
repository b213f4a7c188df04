"""Migration 0002 folds every GmailConnection into OAuthConnection(provider="gmail"), tokens
still encrypted and readable, the reconnect flag carried over."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from integrations.connections.models import OAuthConnection
from tenants.db_constraints import ensure_same_org_constraints
from tenants.models import Role

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BEFORE = [("integrations", "0001_initial")]


def test_gmail_connections_become_oauth_connections(world):
    ok, broken = world.member(world.org_a, Role.CASE_MANAGER), world.member(world.org_b, Role.ADMIN)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        GmailConnection = executor.loader.project_state(BEFORE).apps.get_model("integrations", "GmailConnection")
        for member, token, flagged in ((ok, "ya29.kept", False), (broken, "ya29.stale", True)):
            GmailConnection.objects.create(
                organization_id=member.organization_id, membership_id=member.pk, email_address=f"{member.pk}@gmail.test",
                access_token=token, needs_reconnect=flagged, last_error="Gmail answered 401" if flagged else "",
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        ensure_same_org_constraints()
    rows = {c.membership_id: c for c in OAuthConnection._base_manager.all()}
    assert set(rows) == {ok.pk, broken.pk}
    assert rows[ok.pk].provider == "gmail" and rows[ok.pk].access_token == "ya29.kept"
    assert rows[ok.pk].account_email == f"{ok.pk}@gmail.test" and rows[ok.pk].status == OAuthConnection.Status.CONNECTED
    assert rows[broken.pk].status == OAuthConnection.Status.RECONNECT_NEEDED and rows[broken.pk].last_error == "Gmail answered 401"
    assert rows[broken.pk].organization_id == world.org_b.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_oauthconnection")
        assert all(value.startswith("gAAAA") for (value,) in cursor.fetchall())
