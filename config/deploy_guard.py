"""Refuse to start staging/production with missing or unsafe configuration.

Every problem is collected first, so an operator fixes the whole list in one go.
"""
from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARS = 5


class UnsafeDeployConfig(ImproperlyConfigured):
    pass


def _is_dev_default(value, default) -> bool:
    if isinstance(value, (list, tuple)):
        return default in value
    return value == default


def find_problems(values: dict) -> list[str]:
    dev = values.get("DEV_DEFAULTS", {})
    problems = []
    if values["DATABASE_ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL must point at PostgreSQL (postgres://...).")
    if not values["REDIS_URL"]:
        problems.append("REDIS_URL is not set (needed for the shared cache, rate limits and Celery).")
    elif values["RATELIMIT_CACHE_BACKEND"] != "django_redis.cache.RedisCache":
        problems.append("the rate-limit cache is not shared (must be Redis).")
    key = values["SECRET_KEY"] or ""
    if (
        len(key) < MIN_SECRET_KEY_LENGTH
        or len(set(key)) < MIN_SECRET_KEY_UNIQUE_CHARS
        or key.startswith("django-insecure")
        or _is_dev_default(key, dev.get("SECRET_KEY"))
    ):
        problems.append(f"SECRET_KEY is missing or weak (at least {MIN_SECRET_KEY_LENGTH} random characters).")
    keys = values["FIELD_ENCRYPTION_KEYS"]
    if not keys or _is_dev_default(keys, dev.get("FIELD_ENCRYPTION_KEYS")):
        problems.append("FIELD_ENCRYPTION_KEYS is not set (or is the dev key).")
    else:
        from cryptography.fernet import Fernet

        for index, item in enumerate(keys):
            try:
                Fernet(item)
            except (ValueError, TypeError):
                problems.append(f"FIELD_ENCRYPTION_KEYS entry {index + 1} is not a valid Fernet key.")
    lookup = values["PII_LOOKUP_HASH_KEY"] or ""
    if len(lookup) < 32 or _is_dev_default(lookup, dev.get("PII_LOOKUP_HASH_KEY")):
        problems.append("PII_LOOKUP_HASH_KEY is not set (at least 32 characters, not the dev key).")
    if not values["SENTRY_DSN"] and not values["GCP_PROJECT_ID"]:
        problems.append("monitoring is off: set SENTRY_DSN or GCP_PROJECT_ID.")
    if not values["CLAMAV_ADDRESS"]:
        problems.append("CLAMAV_ADDRESS (the virus scanner) is not set.")
    if not values["VIRUS_SCAN_ENABLED"]:
        problems.append("VIRUS_SCAN_ENABLED is off; uploads must be scanned.")
    if values["META_TEST_MODE"]:
        problems.append("META_TEST_MODE is on; it disables webhook signatures and exists only in dev.")
    hosts = values["ALLOWED_HOSTS"]
    if not hosts or any(host in ("*", ".*") or host.startswith("*") for host in hosts):
        problems.append("ALLOWED_HOSTS must list the real host names (no wildcard).")
    if not values["SESSION_COOKIE_SECURE"]:
        problems.append("SESSION_COOKIE_SECURE is off.")
    if not values["CSRF_COOKIE_SECURE"]:
        problems.append("CSRF_COOKIE_SECURE is off.")
    if values["DEBUG"]:
        problems.append("DEBUG is on.")
    return problems


def enforce(values: dict, *, profile: str) -> None:
    problems = find_problems(values)
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise UnsafeDeployConfig(
            f"Refusing to start with DJANGO_ENV={profile}: {len(problems)} problem(s) in the configuration:\n{lines}"
        )
