"""Security headers on every kind of response, cookies locked down, HSTS in production."""
import json

import pytest
from django.core.cache import caches
from django.test import Client

from tests.conftest import PASSWORD
from tests.config.conftest import run_manage

PAGES = ["/accounts/login/", "/healthz", "/no-such-page/"]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def anonymous(db):
    return Client()


@pytest.mark.postgres
@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code in (200, 404)

    policy = csp_directives(response["Content-Security-Policy"])
    for directive in ("default-src", "script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
        assert "*" not in policy[directive]
    assert policy["script-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "base-uri" in policy and "form-action" in policy

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions
    # Nothing names the server software or framework.
    assert "Server" not in response
    assert "X-Powered-By" not in response


@pytest.mark.postgres
def test_a_404_does_not_reflect_debug_information(anonymous):
    response = anonymous.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body
    assert "URLconf" not in body  # Django's technical 404 lists every URL pattern


@pytest.mark.postgres
@pytest.mark.redis
def test_session_and_csrf_cookies_are_httponly_secure_and_lax(world):
    caches["ratelimit"].delete_pattern("*")
    client = Client(REMOTE_ADDR="198.51.100.200")
    page = client.get("/accounts/login/")
    csrf = page.cookies["csrftoken"]
    user = world.member(world.org_a, "case_manager").user

    response = client.post(
        "/accounts/login/",
        {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": csrf.value},
    )
    assert response.status_code == 302, response.content[:500]
    session = response.cookies["sessionid"]

    for cookie in (csrf, session):
        header = cookie.OutputString()
        assert cookie["httponly"] is True, header
        assert cookie["secure"] is True, header
        assert cookie["samesite"] == "Lax", header
        assert "HttpOnly" in header and "Secure" in header and "SameSite=Lax" in header


HSTS_PROBE = """
import json
from django.test import Client
client = Client(HTTP_HOST="cradle.example.com")
secure = client.get("/healthz", secure=True)
proxied = client.get("/healthz", HTTP_X_FORWARDED_PROTO="https")
plain_login = client.get("/accounts/login/")
plain_health = client.get("/healthz")
print(json.dumps({
    "secure_status": secure.status_code,
    "secure_hsts": secure.headers.get("Strict-Transport-Security"),
    "proxied_hsts": proxied.headers.get("Strict-Transport-Security"),
    "plain_login_status": plain_login.status_code,
    "plain_login_location": plain_login.headers.get("Location"),
    "plain_health_status": plain_health.status_code,
    "plain_health_hsts": plain_health.headers.get("Strict-Transport-Security"),
}))
"""


def test_production_sends_hsts_over_https_and_redirects_plain_http(production_env):
    result = run_manage("shell", "-c", HSTS_PROBE, env=production_env)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["secure_status"] == 200
    assert seen["secure_hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert seen["proxied_hsts"] == seen["secure_hsts"]  # TLS ended at the proxy
    # Plain HTTP is sent to HTTPS, except the probes a load balancer calls directly.
    assert seen["plain_login_status"] == 301
    assert seen["plain_login_location"] == "https://cradle.example.com/accounts/login/"
    assert seen["plain_health_status"] == 200
    assert seen["plain_health_hsts"] is None  # HSTS only means something over HTTPS
