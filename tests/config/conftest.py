"""Run Django in a fresh process with exactly the environment a test gives it.

The child never inherits this process's environment (DATABASE_URL, REDIS_URL, DJANGO_ENV...)
and never reads a developer's .env: only PATH and HOME are passed through.
"""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[2]
MANAGE = str(BASE_DIR / "manage.py")
TEST_DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cradle")
if not TEST_DATABASE_URL.startswith("postgres"):
    TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/cradle"


def clean_env(**values: str) -> dict:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "DJANGO_ENV_FILE": ""}
    env.update(values)
    return env


def run_manage(*args: str, env: dict, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, MANAGE, *args], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout
    )


def run_python(code: str, *, env: dict, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=timeout
    )


def complete_production_env(**overrides: str) -> dict:
    """Every launch-critical item set, with freshly generated keys: the guard must accept it."""
    values = {
        "DJANGO_ENV": "production",
        "DATABASE_URL": TEST_DATABASE_URL,
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PII_LOOKUP_HASH_KEY": secrets.token_urlsafe(48),
        "GCP_PROJECT_ID": "cradle-ci",
        "CLAMAV_ADDRESS": "127.0.0.1:3310",
        "ALLOWED_HOSTS": "cradle.example.com",
    }
    values.update(overrides)
    return clean_env(**values)


@pytest.fixture
def production_env():
    return complete_production_env()
