"""Planted PII never reaches log output: what the handlers write is read back and searched.

caplog sees records before handler filters run, so these tests read what a handler actually
wrote: a StringIO handler carrying the live console handler's filters, and a fresh process
whose stderr is the real console handler configured by settings.LOGGING.
"""
import io
import json
import logging

import pytest
from django.test import Client

from config.pii_logging import ScrubPIIFilter, mask_ip, scrub_text
from tests.config.conftest import clean_env, run_python

EMAIL = "jane.roe+surrogacy@example.org"
PHONE = "+1 (415) 555-0187"
IPV4 = "203.0.113.77"
IPV6 = "2001:db8:abcd:12:3456:789a:bcde:f012"
TOKEN = "Zk3vQp9LmT2xRw8NcY4bHs6JdF1gKa7E"
QUERY_TOKEN = "s3cr3t-reset-code-4711"
PLANTED = [EMAIL, "555-0187", IPV4, IPV6, TOKEN, QUERY_TOKEN, "jane.roe"]
MASKED = ["203.0.113.0/24", "2001:db8:abcd:12::/64"]


def console_handler() -> logging.Handler:
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, ScrubPIIFilter) for f in h.filters)]
    assert handlers, "the root logger has no handler with the PII filter"
    return handlers[0]


@pytest.fixture
def captured():
    """A handler that writes like the console handler does, with the same filters."""
    live = console_handler()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(live.formatter)
    for log_filter in live.filters:
        handler.addFilter(log_filter)
    loggers = [logging.getLogger(), logging.getLogger("django.request"), logging.getLogger("django")]
    for logger in loggers:
        logger.addHandler(handler)
    yield stream
    for logger in loggers:
        logger.removeHandler(handler)


def assert_scrubbed(output: str):
    leaked = [value for value in PLANTED if value in output]
    assert leaked == [], output


def test_every_configured_handler_scrubs():
    from django.conf import settings

    for name, handler in settings.LOGGING["handlers"].items():
        assert "scrub_pii" in handler.get("filters", []), name
    for name, logger in settings.LOGGING["loggers"].items():
        assert logger.get("propagate", True) is False or not logger.get("handlers"), name
    # Django's own default handlers (an unfiltered console, mail_admins) are replaced.
    for handler in logging.getLogger("django").handlers:
        if type(handler).__module__.startswith("_pytest"):
            continue  # pytest's own capture handlers
        assert any(isinstance(f, ScrubPIIFilter) for f in handler.filters), handler


def test_log_arguments_are_scrubbed(captured):
    logger = logging.getLogger("cradle.test")
    logger.info("login from %s (%s) for %s, phone %s", IPV4, IPV6, EMAIL, PHONE)
    logger.warning("GET /apply/%s/ then /reset/x?token=%s&step=2", TOKEN, QUERY_TOKEN)
    output = captured.getvalue()
    assert_scrubbed(output)
    for masked in MASKED:
        assert masked in output
    assert "[email]" in output and "[phone]" in output
    assert "/apply/[token]/" in output and "?[query]" in output and "step=2" not in output


def test_exception_messages_in_tracebacks_are_scrubbed(captured):
    logger = logging.getLogger("cradle.test")
    try:
        raise ValueError(f"could not match {EMAIL} from {IPV4}")
    except ValueError:
        logger.exception("matching failed for %s", EMAIL)
    output = captured.getvalue()
    assert "Traceback" in output and "ValueError" in output
    assert_scrubbed(output)
    assert "203.0.113.0/24" in output


@pytest.mark.postgres
def test_django_request_404_log_is_scrubbed(db, captured):
    response = Client().get(f"/people/{EMAIL}/apply/{TOKEN}/", REMOTE_ADDR=IPV4)
    assert response.status_code == 404
    output = captured.getvalue()
    assert "Not Found" in output
    assert_scrubbed(output)


LOG_SCRIPT = """
import logging, os
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from django.test import Client

EMAIL, PHONE, IPV4, IPV6, TOKEN, QUERY_TOKEN = {planted!r}
log = logging.getLogger("cradle.anything")
log.info("login from %s / %s for %s, phone %s", IPV4, IPV6, EMAIL, PHONE)
log.warning("public link /apply/%s/?token=%s", TOKEN, QUERY_TOKEN)
try:
    raise RuntimeError("lookup failed for " + EMAIL)
except RuntimeError:
    log.exception("unexpected error for %s", IPV4)
logging.getLogger("django.security.SuspiciousOperation").warning("bad request from %s for %s", IPV4, EMAIL)
logging.getLogger("django.server").info('"GET /apply/%s/ HTTP/1.1" 200 12 from %s', TOKEN, IPV6)
Client().get("/nothing/" + EMAIL + "/", REMOTE_ADDR=IPV4)
print("done")
"""


@pytest.mark.parametrize("profile", ["dev", "test"])
def test_real_logging_config_writes_no_pii_to_stderr(profile, tmp_path):
    """The settings' LOGGING, configured by Django in a fresh process, as in runserver or gunicorn."""
    env = clean_env(DJANGO_ENV=profile, DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}", REDIS_URL="")
    code = LOG_SCRIPT.format(planted=(EMAIL, PHONE, IPV4, IPV6, TOKEN, QUERY_TOKEN))
    result = run_python(code, env=env)
    assert result.stdout.strip() == "done", result.stderr
    output = result.stderr
    for expected in ("cradle.anything", "RuntimeError", "django.security", "django.server", "Not Found"):
        assert expected in output, output
    assert_scrubbed(output)
    for masked in MASKED:
        assert masked in output


# --- the scrubbing rules themselves ------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("10.0.0.1", "10.0.0.0/24"),
        (" 192.168.1.20 ", "192.168.1.0/24"),
        ("2001:db8:abcd:12:3456:789a:bcde:f012", "2001:db8:abcd:12::/64"),
        ("2001:DB8::1", "2001:db8::/64"),
        ("::1", "::/64"),
        ("not-an-ip", "unknown"),
        ("", "unknown"),
    ],
)
def test_mask_ip(address, network):
    assert mask_ip(address) == network


@pytest.mark.parametrize(
    "text, expected",
    [
        ("from 192.168.1.20", "from 192.168.1.0/24"),
        ("[2001:db8:1:2::5]:443", "[2001:db8:1:2::/64]:443"),
        ("host 10.1.2.3/32", "host 10.1.2.0/24"),
        ("call 415-555-0187 now", "call [phone] now"),
        ("mail A.B+c@Example.co.uk", "mail [email]"),
        ("/book/manage/abc123/cancel", "/book/manage/[token]/cancel"),
        ("?code=xyz&state=abc", "?code=[redacted]&state=[redacted]"),
        # Not PII, and kept readable:
        ("at 2026-01-15 12:00:00 ok", "at 2026-01-15 12:00:00 ok"),
        ("surrogate S10001 moved", "surrogate S10001 moved"),
        ("took 12:00:00", "took 12:00:00"),
        ("version 999.1.1.1", "version 999.1.1.1"),  # not an address, and too few digits for a phone
        # A search in the access log: the query goes, the status code and size stay.
        ('"GET /surrogates/?q=emma.lopez.7%40mail.example.com HTTP/1.1" 200 5389', '"GET /surrogates/?[query] HTTP/1.1" 200 5389'),
        ('"GET /surrogates/?q=Olivia+Kim HTTP/1.1" 200 17074', '"GET /surrogates/?[query] HTTP/1.1" 200 17074'),
        ("Not Found: /x/emma%40mail.example.com/", "Not Found: /x/[email]/"),
        # A request line's status and size stay, however many digits they have together.
        ('[03/Dec/2026 17:00:01] "POST /webhooks/meta/ HTTP/1.1" 500 145', '[03/Dec/2026 17:00:01] "POST /webhooks/meta/ HTTP/1.1" 500 145'),
        ('"GET /surrogates/ HTTP/1.1" 200 1234567', '"GET /surrogates/ HTTP/1.1" 200 1234567'),
        ('"POST /webhooks/meta/" 500 1450000', '"POST /webhooks/meta/" 500 1450000'),  # daphne: no version
        ('"GET / HTTP/1.1" 200 1234567 caller 415-555-0187', '"GET / HTTP/1.1" 200 1234567 caller [phone]'),
        # Long Meta ids (15+ bare digits) stay; phones in free text still go, bare or formatted.
        ("page 100000000000001 lead 1234567890123456", "page 100000000000001 lead 1234567890123456"),
        ("call 4155550187 today", "call [phone] today"),
        ("call +14155550187 today", "call [phone] today"),
        ("ring 447911123456 or +44 7911 123456", "ring [phone] or [phone]"),
        ("fax 00 44 7911 123456 ok", "fax [phone] ok"),
        ("sms +123456789012345", "sms [phone]"),
    ],
)
def test_scrub_text(text, expected):
    assert scrub_text(text) == expected


def test_scrubbing_is_idempotent():
    once = scrub_text(f"{IPV4} {IPV6} {EMAIL} {PHONE} /apply/{TOKEN}/")
    assert scrub_text(once) == once
    assert "203.0.113.0/24" in once and "2001:db8:abcd:12::/64" in once


def test_filter_freezes_the_record_so_no_handler_sees_the_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s at %s", (EMAIL, IPV4), None)
    assert ScrubPIIFilter().filter(record) is True
    assert record.args is None
    assert record.getMessage() == "user [email] at 203.0.113.0/24"
    assert json.dumps(vars(record), default=str).count(EMAIL) == 0
