"""The bench's process environment: the production profile, pointed at local services.

Every process of a run (seed, gunicorn, the in-process measurements) gets the same variables,
so the server reads exactly the rows the seed wrote. No settings overlay: DJANGO_ENV=production
passes its deploy guard with honest local values, and we stand in for the TLS proxy production
runs behind (wrk sends X-Forwarded-Proto: https and one X-Forwarded-For hop).
"""
import base64
import hashlib
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / "var" / "bench"
KEYS_FILE = STATE_DIR / "keys.env"
DB_NAME = os.environ.get("BENCH_DB_NAME", "cradle_bench")
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_PORT", "8790"))
APPLICATION_NAME = f"cradle-bench-{PORT}"


def _keys() -> dict[str, str]:
    """Bench-only keys, made once and kept beside the database they encrypted (var/ is ignored)."""
    if not KEYS_FILE.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        values = {
            "SECRET_KEY": secrets.token_urlsafe(60),
            "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "PII_LOOKUP_HASH_KEY": secrets.token_urlsafe(40),
        }
        KEYS_FILE.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
        KEYS_FILE.chmod(0o600)
    return dict(line.split("=", 1) for line in KEYS_FILE.read_text().split())


def key_fingerprint() -> str:
    keys = _keys()
    return hashlib.sha256(f"{keys['FIELD_ENCRYPTION_KEYS']}|{keys['PII_LOOKUP_HASH_KEY']}".encode()).hexdigest()[:16]


def variables() -> dict[str, str]:
    keys = _keys()
    derived = hashlib.sha256(f"bench-meta|{keys['SECRET_KEY']}".encode()).hexdigest()
    return {
        **keys,
        # The webhook's app secret (we sign the bench's deliveries with it); Graph calls would go
        # to a closed local port, and no Celery worker runs, so nothing leaves the machine.
        "META_APP_SECRET": derived[:32],
        "META_VERIFY_TOKEN": derived[32:],
        "META_GRAPH_BASE_URL": "http://127.0.0.1:9",
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_ENV_FILE": "",  # a developer's .env never leaks into the figures
        # The name lets the bench find this run's own database backends (their CPU time per request).
        "DATABASE_URL": f"{PG_SERVER}/{DB_NAME}?application_name={APPLICATION_NAME}",
        "DB_CONN_MAX_AGE": "60",  # the production default, spelled out
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_KEY_PREFIX": "bench:",
        "ALLOWED_HOSTS": f"{HOST},localhost,testserver",
        # We are the TLS proxy: one hop appends the client address (the limiter keys on it).
        "TRUSTED_PROXY_HOPS": "1",
        # Monitoring: production logs to stdout for the platform's collector; GCP_PROJECT_ID is what
        # the guard accepts for that. No Sentry DSN: nothing may leave this machine.
        "GCP_PROJECT_ID": "cradle-bench-local",
        # Scanning stays on as deployed (scripts/clamd-start's address); no scenario uploads a file.
        "CLAMAV_ADDRESS": "127.0.0.1:3310",
        "VIRUS_SCAN_ENABLED": "true",
        "PUBLIC_BASE_URL": f"http://{HOST}:{PORT}",
    }


def apply() -> None:
    """Set this process's environment (before django.setup())."""
    for key, value in variables().items():
        os.environ[key] = value
