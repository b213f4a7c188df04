"""Meta's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(raw body, app secret)>`,
and the `appsecret_proof` Graph calls carry (HMAC-SHA256 of the access token with the app secret)."""
import hashlib
import hmac
import re

from django.conf import settings

SIGNATURE_HEADER = "HTTP_X_HUB_SIGNATURE_256"
_SHAPE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.META_APP_SECRET if secret is None else secret
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def is_valid(body: bytes, header: str | None) -> bool:
    """Constant-time check of the header against the exact bytes received. No secret = refuse all."""
    secret = settings.META_APP_SECRET
    if not secret or not header:
        return False
    match = _SHAPE.match(header.strip())
    if match is None:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, match.group(1).lower())


def appsecret_proof(access_token: str) -> str:
    return hmac.new(settings.META_APP_SECRET.encode(), access_token.encode(), hashlib.sha256).hexdigest()
