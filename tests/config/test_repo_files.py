""".env.example documents every setting the code reads; zap-baseline.conf is a valid rules file."""
import re

import pytest

from config import deploy_guard
from tests.config.conftest import BASE_DIR

ENV_READ_RE = re.compile(r"\benv\.(?:str|bool|int|float|list|json|url|db_url|cache_url)\(\s*\"([A-Z][A-Z0-9_]*)\"")
ASSIGNMENT_RE = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=(.*)$")


def settings_read_by_the_code() -> set[str]:
    names = set()
    for path in (BASE_DIR / "config").glob("*.py"):
        names |= set(ENV_READ_RE.findall(path.read_text()))
    return names


def env_example() -> dict[str, tuple[str, list[str]]]:
    """NAME -> (example value, the comment block it belongs to; a blank line ends a block)."""
    documented, comments = {}, []
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        match = ASSIGNMENT_RE.match(line)
        if match:
            documented[match.group(1)] = (match.group(2), comments)
        elif line.startswith("#"):
            comments = comments + [line]
        elif not line.strip():
            comments = []
    return documented


def test_env_example_lists_every_setting_the_code_reads():
    read = settings_read_by_the_code()
    assert "SECRET_KEY" in read and "DJANGO_ENV" in read  # the regex sees the real reads
    documented = env_example()
    assert sorted(read - set(documented) - {"DJANGO_ENV_FILE"}) == []
    assert "DJANGO_ENV_FILE" in (BASE_DIR / ".env.example").read_text()
    assert sorted(set(documented) - read) == [], "documented but never read"


def test_every_setting_says_what_it_is_and_which_profiles_need_it():
    profile_words = ("dev", "test", "staging", "production", "all profiles")
    for name, (_, comments) in env_example().items():
        text = " ".join(comments).lower()
        assert comments, f"{name} has no comment"
        assert any(word in text for word in profile_words), f"{name} does not say which profiles need it"
    required = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PII_LOOKUP_HASH_KEY",
                "ALLOWED_HOSTS", "CLAMAV_ADDRESS"}
    for name in required:
        assert "required in staging/production" in " ".join(env_example()[name][1]).lower(), name


def test_example_secrets_are_placeholders_the_guard_refuses():
    documented = env_example()
    values = {
        "DATABASE_ENGINE": "django.db.backends.postgresql",
        "REDIS_URL": documented["REDIS_URL"][0],
        "RATELIMIT_CACHE_BACKEND": "django_redis.cache.RedisCache",
        "SECRET_KEY": documented["SECRET_KEY"][0],
        "FIELD_ENCRYPTION_KEYS": documented["FIELD_ENCRYPTION_KEYS"][0].split(","),
        "PII_LOOKUP_HASH_KEY": documented["PII_LOOKUP_HASH_KEY"][0],
        "SENTRY_DSN": documented["SENTRY_DSN"][0],
        "GCP_PROJECT_ID": "",
        "CLAMAV_ADDRESS": documented["CLAMAV_ADDRESS"][0],
        "VIRUS_SCAN_ENABLED": True,
        "META_TEST_MODE": False,
        "ALLOWED_HOSTS": [documented["ALLOWED_HOSTS"][0]],
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "DEBUG": False,
    }
    problems = " ".join(deploy_guard.find_problems(values))
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "PII_LOOKUP_HASH_KEY"):
        assert name in problems


# --- zap-baseline.conf -------------------------------------------------------------------------------

ACTIONS = {"IGNORE", "INFO", "WARN", "FAIL"}
MUST_FAIL = {
    "10010": "cookie without HttpOnly",
    "10011": "cookie without Secure",
    "10054": "cookie without SameSite",
    "10020": "anti-clickjacking / X-Frame-Options",
    "10021": "X-Content-Type-Options",
    "10038": "CSP header not set",
    "10055": "CSP unsafe-inline and friends",
    "10035": "Strict-Transport-Security",
    "10063": "Permissions-Policy",
    "10023": "debug error messages",
    "10024": "sensitive information in URL",
    "10025": "sensitive information in Referer",
    "10036": "server leaks version",
    "10037": "X-Powered-By",
    "10017": "cross-domain JavaScript",
    "2": "private IP disclosure",
    "3": "session id in URL",
    "10062": "PII disclosure",
    "90022": "application error disclosure",
}


def zap_rules() -> dict[str, str]:
    rules = {}
    for number, line in enumerate((BASE_DIR / "zap-baseline.conf").read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        assert len(fields) == 3, f"line {number}: want id<TAB>ACTION<TAB>(name): {line!r}"
        rule_id, action, name = fields
        assert rule_id.isdigit(), f"line {number}"
        assert action in ACTIONS, f"line {number}"
        assert name.startswith("(") and name.endswith(")"), f"line {number}"
        assert rule_id not in rules, f"duplicate rule {rule_id}"
        rules[rule_id] = action
    return rules


def test_zap_baseline_conf_parses():
    assert len(zap_rules()) >= 50


@pytest.mark.parametrize("rule_id", sorted(MUST_FAIL))
def test_zap_rules_that_matter_fail_the_scan(rule_id):
    assert zap_rules().get(rule_id) == "FAIL", MUST_FAIL[rule_id]
