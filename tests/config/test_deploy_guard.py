"""staging/production refuse an unsafe configuration, naming every problem; a complete one passes
`check --deploy` with zero issues."""
import pytest
from cryptography.fernet import Fernet

from config import deploy_guard
from tests.config.conftest import clean_env, complete_production_env, run_manage

STRONG_SECRET = "k" * 10 + "Zq8#xLp2$Vw9!mR4@tY7^bN1&cF6*hJ3(dS5)gA0-eW" + "u" * 10
DEV_SECRET = "dev-only-insecure-secret-key-never-used-outside-dev-and-test"
DEV_FERNET = "ZGV2LW9ubHktZmVybmV0LWtleS0zMi1ieXRlcy0hISE="
DEV_LOOKUP = "dev-only-pii-lookup-hash-key"

# Each refused item and the word the operator must see for it.
UNSAFE_ENV = {
    "DATABASE_URL": "sqlite:////tmp/cradle-unsafe.sqlite3",
    "SECRET_KEY": "short",
    "VIRUS_SCAN_ENABLED": "false",
    "META_TEST_MODE": "true",
    "ALLOWED_HOSTS": "*",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
}
EVERY_PROBLEM = [
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "PII_LOOKUP_HASH_KEY",
    "SENTRY_DSN",
    "GCP_PROJECT_ID",
    "CLAMAV_ADDRESS",
    "VIRUS_SCAN_ENABLED",
    "META_TEST_MODE",
    "ALLOWED_HOSTS",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
]


def safe_values(**overrides):
    values = {
        "DATABASE_ENGINE": "django.db.backends.postgresql",
        "REDIS_URL": "redis://redis.internal:6379/0",
        "RATELIMIT_CACHE_BACKEND": "django_redis.cache.RedisCache",
        "SECRET_KEY": STRONG_SECRET,
        "FIELD_ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "PII_LOOKUP_HASH_KEY": "p" * 16 + "Lk9#2mQ7!xV4@zR8^wT1&yU6",
        "SENTRY_DSN": "https://public@sentry.example.com/1",
        "GCP_PROJECT_ID": "",
        "CLAMAV_ADDRESS": "clamav:3310",
        "VIRUS_SCAN_ENABLED": True,
        "META_TEST_MODE": False,
        "ALLOWED_HOSTS": ["cradle.example.com"],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "DEBUG": False,
        "DEV_DEFAULTS": {"SECRET_KEY": DEV_SECRET, "FIELD_ENCRYPTION_KEYS": DEV_FERNET, "PII_LOOKUP_HASH_KEY": DEV_LOOKUP},
    }
    values.update(overrides)
    return values


# --- the guard's rules, one item at a time ---------------------------------------------------------


def test_a_complete_configuration_has_no_problems():
    assert deploy_guard.find_problems(safe_values()) == []


def test_gcp_project_alone_counts_as_monitoring():
    assert deploy_guard.find_problems(safe_values(SENTRY_DSN="", GCP_PROJECT_ID="cradle-prod")) == []


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"DATABASE_ENGINE": "django.db.backends.sqlite3"}, "DATABASE_URL"),
        ({"DATABASE_ENGINE": ""}, "DATABASE_URL"),
        ({"REDIS_URL": ""}, "REDIS_URL"),
        ({"RATELIMIT_CACHE_BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "rate-limit cache is not shared"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "too-short-but-random-Zq8#xLp2"}, "SECRET_KEY"),
        ({"SECRET_KEY": "a" * 80}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + STRONG_SECRET}, "SECRET_KEY"),
        ({"SECRET_KEY": DEV_SECRET}, "SECRET_KEY"),
        ({"FIELD_ENCRYPTION_KEYS": []}, "FIELD_ENCRYPTION_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": [DEV_FERNET]}, "FIELD_ENCRYPTION_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": [Fernet.generate_key().decode(), DEV_FERNET]}, "FIELD_ENCRYPTION_KEYS"),
        ({"FIELD_ENCRYPTION_KEYS": ["not-a-fernet-key"]}, "FIELD_ENCRYPTION_KEYS entry 1 is not a valid Fernet key"),
        ({"PII_LOOKUP_HASH_KEY": ""}, "PII_LOOKUP_HASH_KEY"),
        ({"PII_LOOKUP_HASH_KEY": "short-key"}, "PII_LOOKUP_HASH_KEY"),
        ({"PII_LOOKUP_HASH_KEY": DEV_LOOKUP}, "PII_LOOKUP_HASH_KEY"),
        ({"SENTRY_DSN": "", "GCP_PROJECT_ID": ""}, "SENTRY_DSN or GCP_PROJECT_ID"),
        ({"CLAMAV_ADDRESS": ""}, "CLAMAV_ADDRESS"),
        ({"VIRUS_SCAN_ENABLED": False}, "VIRUS_SCAN_ENABLED"),
        ({"META_TEST_MODE": True}, "META_TEST_MODE"),
        ({"ALLOWED_HOSTS": []}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ["*"]}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ["cradle.example.com", "*.example.com"]}, "ALLOWED_HOSTS"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
        ({"CSRF_COOKIE_SECURE": False}, "CSRF_COOKIE_SECURE"),
        ({"DEBUG": True}, "DEBUG"),
    ],
)
def test_each_unsafe_item_alone_is_refused(overrides, expected):
    problems = deploy_guard.find_problems(safe_values(**overrides))
    assert len(problems) == 1, problems
    assert expected in problems[0]


def test_enforce_lists_every_problem_at_once():
    values = safe_values(SECRET_KEY="", CLAMAV_ADDRESS="", META_TEST_MODE=True)
    with pytest.raises(deploy_guard.UnsafeDeployConfig) as refused:
        deploy_guard.enforce(values, profile="production")
    message = str(refused.value)
    assert "3 problem(s)" in message
    for word in ("SECRET_KEY", "CLAMAV_ADDRESS", "META_TEST_MODE"):
        assert word in message


# --- the real start-up, in a fresh process ---------------------------------------------------------


@pytest.mark.parametrize("profile", ["production", "staging"])
def test_empty_environment_is_refused_with_a_clear_list(profile):
    result = run_manage("check", env=clean_env(DJANGO_ENV=profile))
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"Refusing to start with DJANGO_ENV={profile}" in output
    assert "Traceback" not in output
    for word in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PII_LOOKUP_HASH_KEY"):
        assert word in output
    assert "SENTRY_DSN or GCP_PROJECT_ID" in output
    assert "CLAMAV_ADDRESS" in output
    assert "ALLOWED_HOSTS" in output


@pytest.mark.parametrize("profile", ["production", "staging"])
def test_unsafe_environment_names_every_problem(profile):
    result = run_manage("check", env=clean_env(DJANGO_ENV=profile, **UNSAFE_ENV))
    output = result.stdout + result.stderr
    assert result.returncode == 78, output
    assert "Traceback" not in output
    missing = [word for word in EVERY_PROBLEM if word not in output]
    assert missing == [], output
    assert "12 problem(s)" in output, output


def test_complete_production_config_passes_check_deploy_with_zero_issues(production_env):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_does_not_accept_the_dev_keys():
    env = complete_production_env(SECRET_KEY=DEV_SECRET, FIELD_ENCRYPTION_KEYS=DEV_FERNET, PII_LOOKUP_HASH_KEY=DEV_LOOKUP)
    result = run_manage("check", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 78
    assert "3 problem(s)" in output
    for word in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PII_LOOKUP_HASH_KEY"):
        assert word in output
