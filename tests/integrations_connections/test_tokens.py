"""fresh_access_token against the local fake provider: refresh before expiry, refresh token kept
when the provider omits it, revoked grant -> reconnect needed and no further calls, and one
refresh for two concurrent workers (row lock, two PostgreSQL connections)."""
import logging
import threading
from urllib.parse import parse_qs

import pytest
from django.db import connection, connections

from integrations.connections import ReconnectNeeded, TokenUnavailable, fresh_access_token
from integrations.connections.models import OAuthConnection
from tenants.models import Role
from tenants.scope import org_scope
from tests.integrations_connections.conftest import make_connection

pytestmark = pytest.mark.django_db


def _raw(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token, account_email FROM integrations_oauthconnection WHERE id = %s", [pk]
        )
        return cursor.fetchone()


def _reload(conn):
    return OAuthConnection._base_manager.get(pk=conn.pk)


@pytest.fixture
def member(world):
    return world.member(world.org_a, Role.CASE_MANAGER)


def test_a_token_far_from_expiry_is_returned_without_any_call(member, fake_oauth):
    make_connection(member, fake=fake_oauth, expires_in=3600)
    with org_scope(member.organization):
        assert fresh_access_token(member, "gmail") == "ya29.initial"
    assert fake_oauth.requests == []


@pytest.mark.parametrize("provider, path", [("gmail", "/token"), ("google_calendar", "/token"), ("zoom", "/oauth/token")])
def test_a_token_expiring_within_two_minutes_is_refreshed_first(member, fake_oauth, provider, path):
    conn = make_connection(member, provider, fake=fake_oauth, expires_in=90)
    old_refresh = conn.refresh_token
    with org_scope(member.organization):
        token = fresh_access_token(member, provider)
    assert token.startswith("ya29.access-") and token != "ya29.initial"
    [sent] = fake_oauth.token_requests()
    assert sent["path"] == path
    form = parse_qs(sent["body"].decode())
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == [old_refresh]
    if provider == "zoom":
        assert sent["headers"]["Authorization"].startswith("Basic ") and "client_secret" not in form
    else:
        assert form["client_id"] == ["cradle-test-client"]
    fresh = _reload(conn)
    assert fresh.access_token == token and fresh.refreshed_at is not None
    assert (fresh.expires_at - fresh.refreshed_at).total_seconds() > 3000
    if provider == "zoom":  # Zoom rotated the refresh token: the new one is stored
        assert fresh.refresh_token != old_refresh and fresh.refresh_token in fake_oauth.refresh_tokens
    else:  # Google left it out: the one we had is kept
        assert fresh.refresh_token == old_refresh
    # Stored encrypted, like every token.
    raw_access, raw_refresh, raw_email = _raw(conn.pk)
    for stored, plain in ((raw_access, token), (raw_refresh, fresh.refresh_token), (raw_email, member.user.email)):
        assert stored.startswith("gAAAA") and plain not in stored


def test_already_expired_tokens_are_refreshed_too(member, fake_oauth):
    make_connection(member, fake=fake_oauth, expires_in=-600)
    with org_scope(member.organization):
        assert fresh_access_token(member, "gmail") != "ya29.initial"
    assert len(fake_oauth.token_requests()) == 1


@pytest.mark.parametrize("how", ["revoked", "unknown"])
def test_a_revoked_grant_marks_reconnect_needed_and_stops_further_calls(member, fake_oauth, how):
    conn = make_connection(member, fake=fake_oauth, expires_in=30)
    if how == "revoked":
        fake_oauth.revoked.add(conn.refresh_token)
    else:
        fake_oauth.refresh_tokens.clear()
    with org_scope(member.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(member, "gmail")
    fresh = _reload(conn)
    assert fresh.status == OAuthConnection.Status.RECONNECT_NEEDED
    assert "invalid_grant" in fresh.last_error and conn.refresh_token not in fresh.last_error
    calls = len(fake_oauth.requests)
    with org_scope(member.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(member, "gmail")
    assert len(fake_oauth.requests) == calls == 1


def test_401_on_refresh_is_a_revoked_grant(member, fake_oauth):
    conn = make_connection(member, fake=fake_oauth, expires_in=30)
    fake_oauth.token_status = 401
    with org_scope(member.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(member, "gmail")
    assert _reload(conn).status == OAuthConnection.Status.RECONNECT_NEEDED


def test_a_provider_5xx_on_refresh_is_transient_and_keeps_the_connection(member, fake_oauth, caplog):
    caplog.set_level(logging.DEBUG)
    conn = make_connection(member, fake=fake_oauth, expires_in=30)
    fake_oauth.token_status = 503
    with org_scope(member.organization), pytest.raises(TokenUnavailable):
        fresh_access_token(member, "gmail")
    fresh = _reload(conn)
    assert fresh.status == OAuthConnection.Status.CONNECTED and fresh.access_token == "ya29.initial"
    assert "503" in caplog.text and conn.refresh_token not in caplog.text and "ya29.initial" not in caplog.text
    fake_oauth.token_status = None
    with org_scope(member.organization):
        token = fresh_access_token(member, "gmail")
    assert token.startswith("ya29.access-") and token not in caplog.text


def test_no_connection_or_no_refresh_token_is_reconnect_needed(member, world, fake_oauth):
    with org_scope(member.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(member, "zoom")
    conn = make_connection(member, expires_in=30, refresh_token="")
    with org_scope(member.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(member, "gmail")
    assert _reload(conn).status == OAuthConnection.Status.RECONNECT_NEEDED
    assert fake_oauth.requests == []


def test_another_members_connection_is_never_used(member, world, fake_oauth):
    colleague = world.member(world.org_a, Role.ADMIN)
    make_connection(colleague, fake=fake_oauth)
    outsider = world.member(world.org_b, Role.CASE_MANAGER)
    with org_scope(member.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(member, "gmail")
    with org_scope(outsider.organization), pytest.raises(ReconnectNeeded):
        fresh_access_token(outsider, "gmail")


def test_unknown_provider_is_refused(member):
    with org_scope(member.organization), pytest.raises(KeyError):
        fresh_access_token(member, "myspace")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_call_the_provider_once(world, fake_oauth):
    """Both see the expiring token; the row lock makes the second wait and reuse the new token
    (Zoom would otherwise invalidate the first worker's rotated refresh token)."""
    member = world.member(world.org_a, Role.CASE_MANAGER)
    make_connection(member, "zoom", fake=fake_oauth, expires_in=30)
    fake_oauth.token_delay = 0.5
    results, errors = [], []
    barrier = threading.Barrier(2)

    def worker():
        try:
            barrier.wait()
            with org_scope(member.organization):
                results.append(fresh_access_token(member, "zoom"))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(fake_oauth.token_requests()) == 1
    assert len(results) == 2 and results[0] == results[1]
