"""Sentry gets no request bodies, cookies, auth headers, client IPs or PII in messages.

The end-to-end test reads the bytes that actually left the process: a real sentry_sdk, set up by
settings exactly as in production, sends to a local fake Sentry that records every envelope.
"""
import copy
import gzip
import http.server
import json
import threading
import zlib

import pytest

from config.sentry import before_send, before_breadcrumb
from tests.config.conftest import clean_env, run_python

EMAIL = "mary.major@example.net"
PHONE = "+1 212 555 0143"
IPV4 = "198.51.100.23"
IPV6 = "2001:db8:9f:1:a:b:c:d"
COOKIE = "PlantedCookieValue0451"
BEARER = "PlantedBearerToken0451"
CSRF = "PlantedCsrfToken0451"
QUERY_TOKEN = "planted-query-token-0451"
PATH_TOKEN = "Qx7Lm2Vp9Tz4Rw8Kc3Yb6Nh1Jd5Gf0Sa"
PLANTED = [EMAIL, "mary.major", "555 0143", IPV4, IPV6, COOKIE, BEARER, CSRF, QUERY_TOKEN, PATH_TOKEN]


def sentry_shaped_event():
    return {
        "event_id": "0123456789abcdef0123456789abcdef",
        "level": "error",
        "message": f"contact {EMAIL}",
        "logentry": {
            "message": "failed for %s",
            "formatted": f"failed for {EMAIL} from {IPV4}",
            "params": [EMAIL, IPV4],
        },
        "request": {
            "url": f"https://cradle.example.com/apply/{PATH_TOKEN}/",
            "method": "POST",
            "query_string": f"token={QUERY_TOKEN}&email={EMAIL}",
            "data": {"email": EMAIL, "phone": PHONE},
            "cookies": {"sessionid": COOKIE, "csrftoken": CSRF},
            "headers": {
                "Authorization": f"Bearer {BEARER}",
                "Cookie": f"sessionid={COOKIE}; csrftoken={CSRF}",
                "X-Forwarded-For": f"{IPV4}, 10.0.0.2",
                "X-Real-Ip": IPV4,
                "X-Csrftoken": CSRF,
                "Referer": f"https://cradle.example.com/apply/{PATH_TOKEN}/?token={QUERY_TOKEN}",
                "User-Agent": "Mozilla/5.0",
            },
            "env": {"REMOTE_ADDR": IPV4, "SERVER_NAME": "web-1"},
        },
        "user": {"id": "42", "ip_address": IPV4, "email": EMAIL, "username": EMAIL},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"duplicate {EMAIL} phone {PHONE} ip {IPV6}",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "surrogate_create",
                                "context_line": f'    raise ValueError("{EMAIL}")',
                                "vars": {"email": EMAIL},
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "cradle", "message": f"login {EMAIL} from {IPV4}", "data": {"ip": IPV6}},
                {"category": "httplib", "data": {"url": f"https://api.example.com/x?token={QUERY_TOKEN}"}},
            ]
        },
        "extra": {"who": EMAIL, "nested": {"phone": PHONE}},
        "tags": {"client": IPV4},
        "contexts": {"trace": {"trace_id": "0123456789abcdef0123456789abcdef", "span_id": "0123456789abcdef"}},
    }


def test_before_send_removes_everything_sensitive():
    event = before_send(sentry_shaped_event(), {})
    text = json.dumps(event)
    leaked = [value for value in PLANTED if value in text]
    assert leaked == [], text

    request = event["request"]
    for key in ("data", "cookies", "query_string", "env"):
        assert key not in request
    assert {k.lower() for k in request["headers"]} == {"referer", "user-agent"}
    assert request["url"] == "https://cradle.example.com/apply/[token]/"
    assert event["user"] == {"id": "42"}
    assert "params" not in event["logentry"]
    assert "vars" not in event["exception"]["values"][0]["stacktrace"]["frames"][0]
    # What is kept stays useful, and ids Sentry needs are untouched.
    assert event["logentry"]["formatted"] == "failed for [email] from 198.51.100.0/24"
    assert event["exception"]["values"][0]["type"] == "ValueError"
    assert event["event_id"] == "0123456789abcdef0123456789abcdef"
    assert event["contexts"]["trace"]["trace_id"] == "0123456789abcdef0123456789abcdef"


def test_before_send_handles_minimal_events():
    assert before_send({"message": "plain"}, {}) == {"message": "plain"}
    assert before_send({"user": {"ip_address": IPV4}}, {})["user"] == {}


def test_before_breadcrumb_scrubs():
    crumb = before_breadcrumb({"message": f"hi {EMAIL}", "data": {"ip": IPV4}}, {})
    assert EMAIL not in json.dumps(crumb) and IPV4 not in json.dumps(crumb)


def test_before_send_does_not_mutate_into_something_unsendable():
    event = before_send(copy.deepcopy(sentry_shaped_event()), {})
    json.dumps(event)  # still JSON


# --- the bytes that left ---------------------------------------------------------------------------


def json_or_none(line: str):
    try:
        return json.loads(line)
    except ValueError:
        return None


class FakeSentry(http.server.ThreadingHTTPServer):
    def __init__(self):
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        super().__init__(("127.0.0.1", 0), FakeSentryHandler)


class FakeSentryHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding:
            raise AssertionError(f"unexpected Content-Encoding {encoding}")
        self.server.bodies.append(body)
        self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_sentry():
    server = FakeSentry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


SENTRY_SCRIPT = """
import io, logging, os, sys, types
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()  # settings call init_sentry(SENTRY_DSN) exactly as in production
import sentry_sdk
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

EMAIL, PHONE, IPV4, IPV6, COOKIE, BEARER, CSRF, QUERY_TOKEN, PATH_TOKEN = {planted!r}
assert sentry_sdk.get_client().is_active()

@csrf_exempt
def boom(request, token):
    logging.getLogger("cradle.views").info("applicant %s from %s", EMAIL, IPV6)  # a breadcrumb
    raise ValueError("cannot save " + EMAIL + " phone " + PHONE + " from " + IPV4)

urls = types.ModuleType("pii_urls")
urls.urlpatterns = [path("apply/<str:token>/", boom)]
sys.modules["pii_urls"] = urls
settings.ROOT_URLCONF = "pii_urls"

# Through the WSGI application, as gunicorn calls it (Sentry wraps exactly this).
body = urlencode({{"email": EMAIL, "phone": PHONE, "note": "call " + PHONE}}).encode()
environ = {{
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/apply/" + PATH_TOKEN + "/",
    "QUERY_STRING": "token=" + QUERY_TOKEN + "&email=" + EMAIL,
    "CONTENT_TYPE": "application/x-www-form-urlencoded",
    "CONTENT_LENGTH": str(len(body)),
    "wsgi.input": io.BytesIO(body),
    "HTTP_HOST": "testserver",
    "HTTP_AUTHORIZATION": "Bearer " + BEARER,
    "HTTP_COOKIE": "cradle_pref=" + COOKIE + "; csrftoken=" + CSRF,  # no sessionid: no DB here
    "HTTP_X_CSRFTOKEN": CSRF,
    "HTTP_X_FORWARDED_FOR": IPV4 + ", " + IPV6,
    "HTTP_REFERER": "https://cradle.example.com/apply/" + PATH_TOKEN + "/?token=" + QUERY_TOKEN,
    "REMOTE_ADDR": IPV4,
}}
setup_testing_defaults(environ)
statuses = []
b"".join(get_wsgi_application()(environ, lambda status, headers, exc_info=None: statuses.append(status)))
assert statuses[0].startswith("500"), statuses

sentry_sdk.set_user({{"id": "42", "email": EMAIL, "ip_address": IPV4}})
sentry_sdk.capture_message("please contact " + EMAIL)
logging.getLogger("cradle.tasks").error("sync failed for %s at %s", EMAIL, IPV4)
try:
    raise KeyError("no record for " + EMAIL)
except KeyError:
    sentry_sdk.capture_exception()
sentry_sdk.flush(timeout=10)
print("sent")
"""


def test_what_reaches_sentry_carries_no_pii(fake_sentry, tmp_path):
    port = fake_sentry.server_address[1]
    env = clean_env(
        DJANGO_ENV="test",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        REDIS_URL="",
    )
    planted = (EMAIL, PHONE, IPV4, IPV6, COOKIE, BEARER, CSRF, QUERY_TOKEN, PATH_TOKEN)
    result = run_python(SENTRY_SCRIPT.format(planted=planted), env=env)
    assert result.stdout.strip().endswith("sent"), result.stderr

    sent = b"\n".join(fake_sentry.bodies).decode("utf-8", "replace")
    assert all(p.endswith("/envelope/") for p in fake_sentry.paths), fake_sentry.paths
    # The events did leave: the request error, the message, the logged error, the exception.
    for marker in ("cannot save [email]", "please contact [email]", "sync failed for [email]", "no record for [email]"):
        assert marker in sent, sent[:3000]
    assert '"url":"http://testserver/apply/[token]/"' in sent  # the request URL, scrubbed
    assert "applicant [email]" in sent  # the breadcrumb, scrubbed

    leaked = [value for value in PLANTED if value in sent]
    assert leaked == [], leaked
    events = [item for item in map(json_or_none, sent.splitlines()) if isinstance(item, dict) and "level" in item]
    assert len(events) >= 4
    requests = [event["request"] for event in events if "request" in event]
    assert requests, "the request error carried no request"
    for request in requests:
        assert {k.lower() for k in request["headers"]} <= {"content-type", "content-length", "host", "referer"}
        assert not {"data", "cookies", "query_string", "env"} & set(request)
    assert all(set(event.get("user") or {}) <= {"id"} for event in events)
