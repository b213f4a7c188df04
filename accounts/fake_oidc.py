"""A local fake Google OpenID provider for tests: discovery, authorize, token, JWKS.

It holds an RSA key generated at start-up and signs ID tokens with it. The authorize endpoint
answers at once with a redirect back to the client (as if the person had consented), so both the
Django test client and a real browser can run the whole flow. Tests choose who signs in
(`identity`), bend the next ID token (`tamper`, e.g. a wrong nonce or audience) or make the
provider refuse (`authorize_error="access_denied"`).
"""
import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "cradle-test-client.apps.example"
CLIENT_SECRET = "cradle-test-client-secret"


class FakeGoogleOIDC:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}
        self.token_calls = 0
        self.authorize_calls: list[dict] = []
        self.reset()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reset(self):
        self.identity = {"sub": "1000001", "email": "new.person@agency-a.test", "email_verified": True, "name": "New Person"}
        self.tamper: dict = {}
        self.authorize_error = ""
        self.token_error = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # --- what the endpoints answer --------------------------------------------------------------
    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/o/oauth2/v2/auth",
            "token_endpoint": f"{self.url}/token",
            "jwks_uri": f"{self.url}/oauth2/v3/certs",
            "userinfo_endpoint": f"{self.url}/v1/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        }

    def jwks(self) -> dict:
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def authorize(self, params: dict) -> str:
        """The redirect back to the client: a code, or the error the test asked for."""
        self.authorize_calls.append({k: v for k, v in params.items() if k != "state"})
        back = {"state": params.get("state", "")}
        if self.authorize_error:
            back["error"] = self.authorize_error
        else:
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.codes[code] = {
                    "nonce": params.get("nonce"),
                    "client_id": params.get("client_id"),
                    "redirect_uri": params.get("redirect_uri"),
                    "identity": dict(self.identity),
                }
            back["code"] = code
        redirect_uri = params.get("redirect_uri", "")
        return f"{redirect_uri}{'&' if '?' in redirect_uri else '?'}{urlencode(back)}"

    def id_token(self, grant: dict, access_token: str) -> str:
        now = int(time.time())
        digest = hashlib.sha256(access_token.encode()).digest()
        claims = {
            "iss": self.url,
            "aud": grant["client_id"],
            "azp": grant["client_id"],
            "iat": now,
            "exp": now + 3600,
            "nonce": grant["nonce"],
            "at_hash": base64.urlsafe_b64encode(digest[:16]).decode().rstrip("="),
            **grant["identity"],
            **self.tamper,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def token(self, form: dict, basic: tuple[str, str] | None) -> tuple[int, dict]:
        self.token_calls += 1
        if self.token_error:
            return 400, {"error": self.token_error}
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if (client_id, secret) != (CLIENT_ID, CLIENT_SECRET):
            return 401, {"error": "invalid_client"}
        with self.lock:
            grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri") or grant["client_id"] != client_id:
            return 400, {"error": "invalid_grant"}
        access_token = secrets.token_urlsafe(32)
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 3599,
            "scope": "openid email profile",
            "id_token": self.id_token(grant, access_token),
        }

    # --- HTTP plumbing --------------------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if parts.path == "/.well-known/openid-configuration":
                    return self._json(200, fake.discovery())
                if parts.path == "/oauth2/v3/certs":
                    return self._json(200, fake.jwks())
                if parts.path == "/o/oauth2/v2/auth":
                    self.send_response(302)
                    self.send_header("Location", fake.authorize(params))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                if urlsplit(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                basic = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    basic = (user, password)
                status, body = fake.token(form, basic)
                return self._json(status, body)

        return Handler


# --- pytest fixtures (import both into a test module to use `fake_google`) -------------------------
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def google_provider():
    fake = FakeGoogleOIDC().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_google(google_provider, settings):
    """The provider, reset, with this deployment's Google sign-in pointed at it."""
    google_provider.reset()
    settings.GOOGLE_OIDC_CLIENT_ID = CLIENT_ID
    settings.GOOGLE_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.GOOGLE_OIDC_ENDPOINT = google_provider.url
    settings.GOOGLE_SIGNIN_ALLOWED_DOMAINS = []
    return google_provider
