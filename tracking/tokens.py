"""Signed tracking tokens: 40 URL-safe characters, checked without touching the database.

payload = the message's public id (16 bytes) + a link position (2 bytes), base64url (24 chars);
signature = HMAC-SHA256 under SECRET_KEY, salted per kind (open/click/unsub), first 12 bytes
(16 chars). A token for one kind is worthless for another; a tampered one fails verification.
"""
import base64
import hmac
import uuid

from django.utils.crypto import salted_hmac

KINDS = ("open", "click", "unsub")
TOKEN_LENGTH = 40
TOKEN_REGEX = "[A-Za-z0-9_-]{40}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _signature(kind: str, payload: bytes) -> str:
    return _b64(salted_hmac(f"cradle.tracking.{kind}", payload, algorithm="sha256").digest()[:12])


def make(kind: str, public_id: uuid.UUID, position: int = 0) -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    payload = public_id.bytes + position.to_bytes(2, "big")
    return _b64(payload) + _signature(kind, payload)


def read(kind: str, token: str) -> tuple[uuid.UUID, int] | None:
    """(public id, position) for a genuine token of this kind, else None."""
    if kind not in KINDS or not isinstance(token, str) or len(token) != TOKEN_LENGTH:
        return None
    try:
        payload = base64.urlsafe_b64decode(token[:24])
    except (ValueError, TypeError):
        return None
    if len(payload) != 18 or not hmac.compare_digest(_signature(kind, payload), token[24:]):
        return None
    return uuid.UUID(bytes=payload[:16]), int.from_bytes(payload[16:], "big")


class TokenConverter:
    """Only well-formed tokens route; anything else (an id, a guess of another shape) is a 404."""

    regex = TOKEN_REGEX

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
