"""PII at rest: MultiFernet encryption (rotatable keys) and keyed lookup hashes for exact search."""
import hashlib
import hmac
import re
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Encrypted value cannot be decrypted with the configured keys.") from exc


def rotate(token: str) -> str:
    """Re-encrypt under the first (newest) key."""
    return fernet().rotate(token.encode()).decode()


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def normalize_phone(value: str) -> str:
    """E.164-like: '+1 (555) 010-2000', '555-010-2000' and '+15550102000' all become '+15550102000'.

    Numbers written without a country code are taken as North American (the agencies we serve).
    """
    value = (value or "").strip()
    digits = re.sub(r"\D", "", value)
    if not digits:
        return ""
    if value.startswith("+"):
        return f"+{digits}"
    if len(digits) == 10:
        return f"+1{digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"+{digits}"
    return digits


def lookup_hash(kind: str, normalized: str) -> str:
    """HMAC-SHA256 of the normalised value; empty input hashes to '' (nothing to look up)."""
    if not normalized:
        return ""
    key = settings.PII_LOOKUP_HASH_KEY.encode()
    return hmac.new(key, f"{kind}:{normalized}".encode(), hashlib.sha256).hexdigest()


def email_hash(value: str) -> str:
    return lookup_hash("email", normalize_email(value))


def phone_hash(value: str) -> str:
    return lookup_hash("phone", normalize_phone(value))
