"""Gmail sends take their token from the member's OAuth connection: an expiring token is
refreshed at the (fake) Google token endpoint before the send; a revoked grant stops the send
without calling Gmail and flags the connection."""
import pytest

from integrations.connections.models import OAuthConnection
from messaging import services
from messaging.models import EmailLog
from tenants.models import Role
from tenants.scope import org_scope
from tests.integrations_connections.conftest import fake_oauth, make_connection  # noqa: F401 (fixture)
from tests.messaging.conftest import make_surrogate

pytestmark = pytest.mark.django_db


def _send(world, member, surrogate, key):
    with org_scope(surrogate.organization):
        return services.email_send(
            membership=member, surrogate=surrogate, subject="Hi", body_html="<p>Hello</p>", idempotency_key=key
        )


def test_an_expiring_token_is_refreshed_before_the_send(world, fake_gmail, fake_oauth, django_capture_on_commit_callbacks):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    conn = make_connection(member, "gmail", fake=fake_oauth, expires_in=60)
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, member, surrogate, "refresh-1")
    log = EmailLog._base_manager.get(pk=log.pk)
    assert log.state == EmailLog.State.SENT and log.transport == "gmail"
    [refresh] = fake_oauth.token_requests()
    assert b"grant_type=refresh_token" in refresh["body"]
    new_token = OAuthConnection._base_manager.get(pk=conn.pk).access_token
    assert new_token != "ya29.initial"
    assert fake_gmail.messages[0]["token"] == f"Bearer {new_token}"


def test_a_revoked_grant_fails_the_send_without_calling_gmail(world, fake_gmail, fake_oauth, django_capture_on_commit_callbacks):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    conn = make_connection(member, "gmail", fake=fake_oauth, expires_in=60)
    fake_oauth.revoked.add(conn.refresh_token)
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, member, surrogate, "revoked-1")
    log = EmailLog._base_manager.get(pk=log.pk)
    assert log.state == EmailLog.State.FAILED and "reconnect" in log.last_error
    assert fake_gmail.sends() == 0
    assert OAuthConnection._base_manager.get(pk=conn.pk).status == OAuthConnection.Status.RECONNECT_NEEDED
    with django_capture_on_commit_callbacks(execute=True):
        _send(world, member, surrogate, "revoked-2")
    assert fake_gmail.sends() == 0 and len(fake_oauth.token_requests()) == 1
