"""How a message leaves: the sender's Gmail connection, or (dev/test, no connection) EMAIL_BACKEND.

Both build the same RFC 822 message (Django's EmailMultiAlternatives) with our own Message-ID,
so a Gmail send can be found again by `rfc822msgid:` when its outcome is unknown.
"""
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from integrations.connections import ReconnectNeeded, TokenUnavailable, fresh_access_token
from integrations.connections.models import OAuthConnection, Provider
from integrations.connections.tokens import mark_reconnect_needed
from integrations.gmail.client import GmailAuthError, GmailClient, GmailNotSent
from messaging.rendering import html_to_text
from tracking import tokens


class TransportUnavailable(Exception):
    """No way to send for this sender (no Gmail connection outside dev/test)."""


def unsubscribe_url(log) -> str:
    return settings.PUBLIC_BASE_URL + reverse("tracking:unsubscribe", args=[tokens.make("unsub", log.public_id)])


def build_message(log, *, from_email: str) -> EmailMultiAlternatives:
    headers = {"Message-ID": log.message_id}
    if log.unsubscribe:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url(log)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=log.subject, body=html_to_text(log.body_html), from_email=from_email, to=[log.to_email], headers=headers
    )
    message.attach_alternative(log.body_html, "text/html")
    return message


class ConsoleTransport:
    """Django's EMAIL_BACKEND: the console in dev, the locmem outbox in tests."""

    name = "console"

    def __init__(self, sender):
        self.from_email = settings.DEFAULT_FROM_EMAIL

    def send(self, log) -> str:
        build_message(log, from_email=self.from_email).send()
        return ""

    def find(self, log) -> str | None:
        return None  # nothing to search: a crash mid-send may repeat a dev message


class GmailTransport:
    name = "gmail"

    def __init__(self, connection: OAuthConnection):
        self.connection = connection
        self.client = GmailClient(token_source=self._token)

    def _token(self) -> str:
        # Refreshed here when it is about to expire; a revoked grant stops every later send.
        try:
            return fresh_access_token(self.connection.membership, Provider.GMAIL)
        except ReconnectNeeded:
            raise GmailAuthError("The Google account must be reconnected.") from None
        except TokenUnavailable as exc:
            raise GmailNotSent(str(exc)) from None

    def send(self, log) -> str:
        message = build_message(log, from_email=self.connection.account_email or self.connection.membership.user.email)
        return self.client.send(message.message().as_bytes(linesep="\r\n"))

    def find(self, log) -> str | None:
        return self.client.find_message_id(log.message_id)

    def flag_reconnect(self, error: str) -> None:
        mark_reconnect_needed(connection_id=self.connection.pk, reason=error)


def transport_for(log):
    connection = None
    if log.sender_id is not None:
        connection = (
            OAuthConnection.objects.filter(membership_id=log.sender_id, provider=Provider.GMAIL)
            .select_related("membership__user")
            .first()
        )
    if connection is not None:
        return GmailTransport(connection)
    if settings.EMAIL_DEV_TRANSPORT:
        return ConsoleTransport(log.sender)
    raise TransportUnavailable("Connect a Google account to send email.")
