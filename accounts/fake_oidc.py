"""A local fake Google OpenID provider, for the tests and for dev: discovery, authorize, token, JWKS.

    .venv/bin/python -m accounts.fake_oidc --port 8767

prints the GOOGLE_OIDC_* settings that point Cradle at it. In dev (`interactive`) its authorize
page asks which email to sign in as (a verified address; default a demo user) and redirects back
on submit. In tests it answers at once with the redirect (as if the person had consented), so both
the Django test client and a real browser can run the whole flow. Tests choose who signs in
(`identity`), bend the next ID token (`tamper`, e.g. a wrong nonce or audience) or make the
provider refuse (`authorize_error="access_denied"`). tests/fakes/google_oidc.py has the fixtures.
"""
import argparse
import base64
import hashlib
import html
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


DEV_DEFAULT_EMAIL = "admin@harbor.example.com"


def identity_for(email: str) -> dict:
    """A verified Google identity for `email`, its subject stable per address."""
    email = email.strip().lower()
    local = email.split("@")[0]
    return {
        "sub": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),
        "email": email,
        "email_verified": True,
        "name": " ".join(part.title() for part in local.replace("_", ".").split(".") if part),
    }


class FakeGoogleOIDC:
    def __init__(self, *, port: int = 0, interactive: bool = False, default_email: str = DEV_DEFAULT_EMAIL):
        self.interactive = interactive
        self.default_email = default_email
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}
        self.token_calls = 0
        self.authorize_calls: list[dict] = []
        self.reset()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
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

    def consent_page(self, params: dict) -> str:
        """Dev only: the 'choose an account' screen, carrying the request's parameters along."""
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        return (
            "<!doctype html><meta charset=utf-8><title>Fake Google sign-in</title>"
            "<h1>Fake Google sign-in (dev only)</h1>"
            "<p>Sign in to Cradle as (a verified Google address):</p>"
            '<form method="post" action="/o/oauth2/v2/auth">'
            f'<input type="email" name="login_email" value="{html.escape(self.default_email)}" size="40" autofocus>'
            f"{hidden}"
            '<button type="submit" name="consent" value="allow">Continue</button> '
            '<button type="submit" name="consent" value="deny">Cancel</button></form>'
        )

    def authorize(self, params: dict, identity: dict | None = None) -> str:
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
                    "identity": dict(identity or self.identity),
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
                if parts.path == "/o/oauth2/v2/auth" and fake.interactive:
                    body = fake.consent_page(params).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return None
                if parts.path == "/o/oauth2/v2/auth":
                    self.send_response(302)
                    self.send_header("Location", fake.authorize(params))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def _redirect(self, location):
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                path = urlsplit(self.path).path
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if path == "/o/oauth2/v2/auth" and fake.interactive:
                    email = form.pop("login_email", "").strip()
                    consent = form.pop("consent", "")
                    if consent != "allow" or "@" not in email:
                        back = {"state": form.get("state", ""), "error": "access_denied"}
                        return self._redirect(f"{form.get('redirect_uri', '')}?{urlencode(back)}")
                    return self._redirect(fake.authorize(form, identity=identity_for(email)))
                if path != "/token":
                    return self._json(404, {"error": "not_found"})
                basic = None
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                    basic = (user, password)
                status, body = fake.token(form, basic)
                return self._json(status, body)

        return Handler


def main():
    parser = argparse.ArgumentParser(description="Fake Google OpenID provider for Google sign-in in local development.")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--email", default=DEV_DEFAULT_EMAIL, help="the address the sign-in page suggests")
    args = parser.parse_args()
    fake = FakeGoogleOIDC(port=args.port, interactive=True, default_email=args.email)
    print(f"Fake Google OpenID provider on {fake.url} (dev only). Export these, then start ./scripts/dev:")
    for name, value in (
        ("GOOGLE_OIDC_CLIENT_ID", CLIENT_ID),
        ("GOOGLE_OIDC_CLIENT_SECRET", CLIENT_SECRET),
        ("GOOGLE_OIDC_ENDPOINT", fake.url),
    ):
        print(f"export {name}={value}", flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        fake.server.server_close()


if __name__ == "__main__":
    main()
