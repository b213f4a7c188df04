"""The one environment reader. Every setting is read here, typed, from the process env (or .env)."""
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
PROFILES = ("dev", "test", "staging", "production")

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PROFILE = env.str("DJANGO_ENV", default="dev")
if PROFILE not in PROFILES:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DJANGO_ENV must be one of {', '.join(PROFILES)}; got {PROFILE!r}.")

IS_DEPLOYED = PROFILE in ("staging", "production")
