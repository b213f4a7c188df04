"""A small Gmail API client: users.messages.send and a Message-ID search, nothing else.

Failures are classified for the caller, because the caller must never send twice:
- GmailNotSent: the request provably did not land (connection never made, 429, 503). Safe to retry.
- GmailAmbiguous: it may have landed (timeout while waiting for the answer, connection dropped
  after sending, other 5xx). Reconcile with `find_message_id` before any new attempt.
- GmailAuthError: 401 / invalid_grant. Do not retry; the account must reconnect.
- GmailPermanent: any other 4xx. Do not retry.

The HTTP library's own retries are off (urllib3 Retry(0)), so every attempt is one we decide on.
"""
import base64

from django.conf import settings

from integrations.http import AMBIGUOUS, AUTH, NOT_SENT, PERMANENT, no_retry_session, request_once

SEND_PATH = "/gmail/v1/users/me/messages/send"
LIST_PATH = "/gmail/v1/users/me/messages"


class GmailError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class GmailNotSent(GmailError):
    pass


class GmailAmbiguous(GmailError):
    pass


class GmailAuthError(GmailError):
    pass


class GmailPermanent(GmailError):
    pass


ERRORS = {NOT_SENT: GmailNotSent, AMBIGUOUS: GmailAmbiguous, AUTH: GmailAuthError, PERMANENT: GmailPermanent}


def _error_detail(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("status") or error.get("message") or "")[:120]
    return str(error or "")[:120]


class GmailClient:
    def __init__(self, *, token_source, base_url: str | None = None, timeout: float | None = None, session=None):
        """`token_source()` returns a current access token (or raises GmailAuthError)."""
        self.token_source = token_source
        self.base_url = (base_url or settings.GMAIL_API_BASE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.GMAIL_HTTP_TIMEOUT
        self.session = session or no_retry_session()

    def _request(self, method: str, path: str, **kwargs):
        return request_once(
            self.session, method, self.base_url + path, token=self.token_source(), timeout=self.timeout,
            errors=ERRORS, provider="Gmail", describe=_error_detail, auth_markers=("invalid_grant",), **kwargs,
        )

    def send(self, rfc822: bytes) -> str:
        """Send one RFC 822 message; returns Gmail's message id."""
        raw = base64.urlsafe_b64encode(rfc822).decode()
        response = self._request("POST", SEND_PATH, json={"raw": raw})
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            return ""

    def find_message_id(self, message_id: str) -> str | None:
        """Gmail's id of the message with this RFC 822 Message-ID in the mailbox, or None."""
        response = self._request(
            "GET", LIST_PATH, params={"q": f"rfc822msgid:{message_id.strip('<>')}", "includeSpamTrash": "true"}
        )
        try:
            messages = response.json().get("messages") or []
        except (ValueError, AttributeError):
            raise GmailAmbiguous("unreadable search answer") from None
        return str(messages[0]["id"]) if messages else None
