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

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

SEND_PATH = "/gmail/v1/users/me/messages/send"
LIST_PATH = "/gmail/v1/users/me/messages"
NOT_LANDED_STATUSES = {429, 503}


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


def _no_retry_session() -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=0, connect=0, read=0, redirect=0, status=0, other=0, raise_on_status=False))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.trust_env = False  # no proxies or netrc credentials picked up from the environment
    return session


def _never_connected(exc: requests.ConnectionError) -> bool:
    """True only when no byte of the request can have reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, NameResolutionError))


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
        self.session = session or _no_retry_session()

    def _request(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"Bearer {self.token_source()}"}
        try:
            response = self.session.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise GmailNotSent(f"connection failed: {type(exc).__name__}") from exc
            raise GmailAmbiguous(f"connection lost: {type(exc).__name__}") from exc
        except requests.Timeout as exc:  # ReadTimeout: the request was sent, the answer never came
            raise GmailAmbiguous(f"timeout: {type(exc).__name__}") from exc
        except requests.RequestException as exc:
            raise GmailAmbiguous(f"transport error: {type(exc).__name__}") from exc
        status = response.status_code
        if status < 300:
            return response
        detail = _error_detail(response)
        message = f"Gmail answered {status}" + (f" ({detail})" if detail else "")
        if status == 401 or "invalid_grant" in detail:
            raise GmailAuthError(message, status=status)
        if status in NOT_LANDED_STATUSES:
            raise GmailNotSent(message, status=status)
        if status >= 500:
            raise GmailAmbiguous(message, status=status)
        raise GmailPermanent(message, status=status)

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
