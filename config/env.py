"""The one environment reader. Every setting is read here, typed, from the process env (or .env)."""
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
PROFILES = ("dev", "test", "staging", "production")

env = environ.Env()
# Values already in the process environment win over the file. DJANGO_ENV_FILE names another
# file; set it empty to read none (the tests do, so a developer's .env cannot leak into them).
ENV_FILE = env.str("DJANGO_ENV_FILE", default=str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).exists():
    environ.Env.read_env(ENV_FILE, overwrite=False)

PROFILE = env.str("DJANGO_ENV", default="dev")
if PROFILE not in PROFILES:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"DJANGO_ENV must be one of {', '.join(PROFILES)}; got {PROFILE!r}.")

IS_DEPLOYED = PROFILE in ("staging", "production")
