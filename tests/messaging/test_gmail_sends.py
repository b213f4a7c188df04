"""Sends through the Gmail client against a local fake Gmail server (Celery eager, on commit)."""
import base64

import pytest
from django.db import transaction

from integrations.gmail.client import GmailClient, GmailNotSent
from integrations.connections.models import OAuthConnection
from messaging import services
from messaging.models import EmailLog
from tenants.models import Role
from tenants.scope import org_scope
from tests.messaging.conftest import connect_gmail, make_surrogate

pytestmark = pytest.mark.django_db

BODY = '<p>Hi {{ full_name }}, see <a href="https://example.org/info?a=1&amp;b=2">our guide</a> or <a href="mailto:x@example.org">mail us</a>.</p>'


def _send(world, surrogate, key="k1", role=Role.CASE_MANAGER, capture=None):
    member = world.member(surrogate.organization, role)
    with org_scope(surrogate.organization):
        log = services.email_send(
            membership=member, surrogate=surrogate, subject="Hello {{ first_name }}", body_html=BODY, idempotency_key=key
        )
    return log


def fresh(log):
    return EmailLog._base_manager.get(pk=log.pk)


@pytest.fixture
def sender(world, fake_gmail):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    connect_gmail(member)
    return member


def test_send_posts_one_base64url_rfc822_message_with_our_message_id(world, fake_gmail, sender, django_capture_on_commit_callbacks):
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert log.state == EmailLog.State.SENT and log.transport == "gmail" and log.attempts == 1
    assert len(fake_gmail.messages) == 1
    sent = fake_gmail.messages[0]
    assert sent["token"] == "Bearer ya29.test-token"
    assert sent["message_id"] == log.message_id
    assert log.provider_message_id == sent["id"]
    parsed = sent["parsed"]
    assert parsed["To"] == surrogate.email and parsed["Subject"] == "Hello Maya"
    html = parsed.get_body(("html",)).get_content()
    assert "Hi Maya Patel" in html
    assert "/tracking/click/" in html and "https://example.org/info" not in html  # rewritten
    assert 'href="mailto:x@example.org"' in html  # mailto: left alone
    assert "/tracking/open/" in html  # the pixel
    assert "List-Unsubscribe" not in parsed  # one-off mail, not a campaign


def test_same_idempotency_key_twice_sends_one_message(world, fake_gmail, sender, django_capture_on_commit_callbacks):
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        first = _send(world, surrogate, key="double-click")
    first = fresh(first)
    with django_capture_on_commit_callbacks(execute=True):
        second = _send(world, surrogate, key="double-click")
    second = fresh(second)
    assert first.pk == second.pk
    assert len(fake_gmail.messages) == 1 and fake_gmail.sends() == 1
    # Running the task again for a sent message does nothing either.
    from messaging.tasks import send_email

    send_email.delay(organization_id=world.org_a.pk, email_log_id=first.pk)
    assert fake_gmail.sends() == 1


def test_503_is_retried_then_succeeds(world, fake_gmail, sender, django_capture_on_commit_callbacks):
    fake_gmail.script = [503]
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert fake_gmail.sends() == 2 and len(fake_gmail.messages) == 1
    assert log.state == EmailLog.State.SENT and log.attempts == 2


def test_429_and_503_three_times_gives_up_after_three_attempts(world, fake_gmail, sender, django_capture_on_commit_callbacks):
    fake_gmail.script = [429, 503, 503, 503]
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert fake_gmail.sends() == 3 and fake_gmail.messages == []
    assert log.state == EmailLog.State.FAILED and log.attempts == 3 and "503" in log.last_error


def test_400_is_not_retried(world, fake_gmail, sender, django_capture_on_commit_callbacks):
    fake_gmail.script = [400]
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert fake_gmail.sends() == 1
    assert log.state == EmailLog.State.FAILED and log.attempts == 1 and "400" in log.last_error


@pytest.mark.parametrize("answer", [401, "invalid_grant"])
def test_401_or_invalid_grant_stops_and_flags_the_account_for_reconnection(
    world, fake_gmail, sender, answer, django_capture_on_commit_callbacks
):
    fake_gmail.script = [answer]
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert fake_gmail.sends() == 1
    assert log.state == EmailLog.State.FAILED and "reconnect" in log.last_error
    connection = OAuthConnection._base_manager.get(membership=sender, provider="gmail")
    assert connection.status == OAuthConnection.Status.RECONNECT_NEEDED
    # The next send does not even call Gmail until the account is reconnected.
    with django_capture_on_commit_callbacks(execute=True):
        again = _send(world, surrogate, key="k2")
    again = fresh(again)
    assert fake_gmail.sends() == 1 and again.state == EmailLog.State.FAILED


def test_timeout_after_the_send_landed_is_reconciled_not_resent(
    world, fake_gmail, sender, settings, django_capture_on_commit_callbacks
):
    settings.GMAIL_HTTP_TIMEOUT = 0.5
    fake_gmail.script = ["hang"]
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert len(fake_gmail.messages) == 1 and fake_gmail.sends() == 1
    assert ("GET", f"/gmail/v1/users/me/messages?q=rfc822msgid%3A{log.message_id.strip('<>').replace('@', '%40')}&includeSpamTrash=true") in fake_gmail.requests
    assert log.state == EmailLog.State.SENT and log.provider_message_id == fake_gmail.messages[0]["id"]


def test_connection_refused_is_retried_as_not_sent(world, settings, django_capture_on_commit_callbacks):
    import socket

    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.GMAIL_API_BASE_URL = f"http://127.0.0.1:{port}"
    settings.EMAIL_RETRY_BASE_SECONDS = 0.01
    client = GmailClient(token_source=lambda: "t")
    with pytest.raises(GmailNotSent):
        client.send(b"Subject: x\r\n\r\nx")
    connect_gmail(world.member(world.org_a, Role.CASE_MANAGER))
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert log.state == EmailLog.State.FAILED and log.attempts == 3


def test_the_client_has_no_silent_retries():
    client = GmailClient(token_source=lambda: "t", base_url="http://127.0.0.1:9")
    for adapter in client.session.adapters.values():
        retry = adapter.max_retries
        assert retry.total == 0 and retry.connect == 0 and retry.read == 0 and retry.status == 0


def test_without_a_gmail_connection_the_dev_transport_is_used(world, django_capture_on_commit_callbacks, mailoutbox):
    surrogate = make_surrogate(world, world.org_a)
    with django_capture_on_commit_callbacks(execute=True):
        log = _send(world, surrogate)
    log = fresh(log)
    assert log.state == EmailLog.State.SENT and log.transport == "console"
    assert len(mailoutbox) == 1 and mailoutbox[0].extra_headers["Message-ID"] == log.message_id
    raw = mailoutbox[0].message().as_bytes()
    assert base64.urlsafe_b64encode(raw)  # the same RFC 822 bytes the Gmail transport would post
