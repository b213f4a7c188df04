"""A local fake OAuth 2.0 provider, for dev and the tests: Google-style endpoints (authorize,
token with client credentials in the body, revoke, OpenID userinfo) and Zoom-style ones
(authorize, token with HTTP Basic client auth, revoke, GET /v2/users/me), plus Zoom's meeting
API (integrations.zoom.fake_zoom: create, list, get, for the tokens this fake issued), on one
threaded http.server.

    python -m integrations.connections.fake_provider --port 8766

prints the settings that point Cradle at it; its consent screen approves at once (redirects
back with a code). It issues real single-use codes bound to the PKCE challenge, remembers every
request's raw bytes, and can be told to revoke a refresh token, omit refresh tokens, fail, or be slow.
"""
import argparse
import base64
import hashlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from integrations.zoom.fake_zoom import FakeZoomMeetings

CLIENT_ID = "cradle-test-client"
CLIENT_SECRET = "cradle-test-secret"


class FakeOAuth:
    def __init__(self, *, account_email="owner@mail.test"):
        self.account_email = account_email
        self.requests = []  # dicts: method, path, query, headers, body (raw bytes)
        self.codes = {}  # code -> {"challenge", "redirect_uri", "family"}
        self.access_tokens = set()
        self.refresh_tokens = set()
        self.revoked = set()
        self.omit_refresh_token = False
        self.expires_in = 3599
        self.token_status = None  # e.g. 500 to fail the token endpoint
        self.token_delay = 0.0
        self.deny_consent = False
        self.revoke_status = None
        self.granted_scope = None  # None: grant what was asked for
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self._server = None
        self.zoom = FakeZoomMeetings(valid_tokens=self.access_tokens)  # Zoom's meeting API

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self, port: int = 0):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.zoom.release.set()
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def configure(self, settings):
        """Point every provider endpoint setting at this fake."""
        settings.INTEGRATIONS_GOOGLE_CLIENT_ID = CLIENT_ID
        settings.INTEGRATIONS_GOOGLE_CLIENT_SECRET = CLIENT_SECRET
        settings.INTEGRATIONS_ZOOM_CLIENT_ID = CLIENT_ID
        settings.INTEGRATIONS_ZOOM_CLIENT_SECRET = CLIENT_SECRET
        settings.GOOGLE_OAUTH_AUTHORIZE_URL = self.base_url + "/o/oauth2/v2/auth"
        settings.GOOGLE_OAUTH_TOKEN_URL = self.base_url + "/token"
        settings.GOOGLE_OAUTH_REVOKE_URL = self.base_url + "/revoke"
        settings.GOOGLE_USERINFO_URL = self.base_url + "/v1/userinfo"
        settings.ZOOM_OAUTH_BASE_URL = self.base_url
        settings.ZOOM_API_BASE_URL = self.base_url
        settings.OAUTH_HTTP_TIMEOUT = 5.0

    # --- helpers for tests ---------------------------------------------------------------------
    def token_requests(self):
        return [r for r in self.requests if r["path"] in ("/token", "/oauth/token")]

    def issue_refresh_token(self) -> str:
        with self._lock:
            token = f"1//refresh-{next(self._counter)}"
            self.refresh_tokens.add(token)
        return token

    def consent(self, authorize_url: str) -> str:
        """What the browser does at the consent screen: returns the redirect back to our callback."""
        import requests

        response = requests.get(authorize_url, allow_redirects=False, timeout=5)
        assert response.status_code == 302, response.status_code
        return response.headers["Location"]

    # --- the server ----------------------------------------------------------------------------
    def _reply(self, handler, status, body=None, *, location=None):
        data = json.dumps(body).encode() if body is not None else b""
        handler.send_response(status)
        if location:
            handler.send_header("Location", location)
        if body is not None:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _handle(self, handler, method):
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        record = {"method": method, "path": parts.path, "query": parts.query, "headers": dict(handler.headers), "body": body}
        with self._lock:
            self.requests.append(record)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        path = parts.path
        if path in ("/o/oauth2/v2/auth", "/oauth/authorize") and method == "GET":
            return self._authorize(handler, query, "google" if path.startswith("/o/") else "zoom")
        if path in ("/token", "/oauth/token") and method == "POST":
            return self._token(handler, form, "google" if path == "/token" else "zoom")
        if path in ("/revoke", "/oauth/revoke") and method == "POST":
            if self.revoke_status:
                return self._reply(handler, self.revoke_status, {"error": "backend_error"})
            token = form.get("token") or query.get("token")
            self.revoked.add(token)
            self.access_tokens.discard(token)
            return self._reply(handler, 200, {})
        if path in ("/v1/userinfo", "/v2/users/me") and method == "GET":
            token = (handler.headers.get("Authorization") or "").removeprefix("Bearer ")
            if token not in self.access_tokens:
                return self._reply(handler, 401, {"error": "invalid_token"})
            return self._reply(handler, 200, {"email": self.account_email, "id": "u-1"})
        if self.zoom.serves(path):
            answered = self.zoom.answer(method, handler.path, handler.headers, body)
            return self._reply(handler, *answered) if answered is not None else None
        return self._reply(handler, 404, {"error": "not_found"})

    def _authorize(self, handler, query, family):
        redirect_uri = query["redirect_uri"]
        if query.get("client_id") != CLIENT_ID:
            return self._reply(handler, 400, {"error": "invalid_client"})
        sep = "&" if "?" in redirect_uri else "?"
        if self.deny_consent:
            params = {"error": "access_denied", "state": query.get("state", "")}
            return self._reply(handler, 302, location=redirect_uri + sep + urlencode(params))
        code = f"4/code-{next(self._counter)}"
        self.codes[code] = {
            "challenge": query.get("code_challenge"), "redirect_uri": redirect_uri, "family": family, "scope": query.get("scope", ""),
        }
        return self._reply(handler, 302, location=redirect_uri + sep + urlencode({"code": code, "state": query["state"]}))

    def _client_ok(self, handler, form, family):
        if family == "zoom":
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            return handler.headers.get("Authorization") == expected
        return form.get("client_id") == CLIENT_ID and form.get("client_secret") == CLIENT_SECRET

    def _token(self, handler, form, family):
        if self.token_delay:
            time.sleep(self.token_delay)
        if self.token_status:
            return self._reply(handler, self.token_status, {"error": "backend_error"})
        if not self._client_ok(handler, form, family):
            return self._reply(handler, 401, {"error": "invalid_client"})
        grant = form.get("grant_type")
        scope = "openid email"
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)  # single use
            if issued is None or issued["redirect_uri"] != form.get("redirect_uri"):
                return self._reply(handler, 400, {"error": "invalid_grant"})
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if issued["challenge"] != challenge:
                return self._reply(handler, 400, {"error": "invalid_grant", "error_description": "PKCE"})
            scope = self.granted_scope if self.granted_scope is not None else issued["scope"]
        elif grant == "refresh_token":
            token = form.get("refresh_token")
            if token in self.revoked or token not in self.refresh_tokens:
                return self._reply(handler, 400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            if family == "zoom":  # Zoom rotates refresh tokens: the old one stops working
                self.refresh_tokens.discard(token)
        else:
            return self._reply(handler, 400, {"error": "unsupported_grant_type"})
        with self._lock:
            access = f"ya29.access-{next(self._counter)}"
            self.access_tokens.add(access)
        answer = {"access_token": access, "expires_in": self.expires_in, "token_type": "Bearer", "scope": scope}
        if not self.omit_refresh_token and (grant == "authorization_code" or family == "zoom"):
            answer["refresh_token"] = self.issue_refresh_token()
        return self._reply(handler, 200, answer)


def main():
    parser = argparse.ArgumentParser(description="Fake Google + Zoom OAuth provider (and Zoom meeting API) for local development.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--account", default="coordinator@mail.test", help="the address the fake account reports")
    args = parser.parse_args()
    fake = FakeOAuth(account_email=args.account).start(args.port)
    base = fake.base_url
    print("Fake OAuth provider on", base, "- put these in .env (dev only) and restart the dev server:")
    for name, value in (
        ("INTEGRATIONS_GOOGLE_CLIENT_ID", CLIENT_ID), ("INTEGRATIONS_GOOGLE_CLIENT_SECRET", CLIENT_SECRET),
        ("INTEGRATIONS_ZOOM_CLIENT_ID", CLIENT_ID), ("INTEGRATIONS_ZOOM_CLIENT_SECRET", CLIENT_SECRET),
        ("GOOGLE_OAUTH_AUTHORIZE_URL", base + "/o/oauth2/v2/auth"), ("GOOGLE_OAUTH_TOKEN_URL", base + "/token"),
        ("GOOGLE_OAUTH_REVOKE_URL", base + "/revoke"), ("GOOGLE_USERINFO_URL", base + "/v1/userinfo"),
        ("ZOOM_OAUTH_BASE_URL", base), ("ZOOM_API_BASE_URL", base),
    ):
        print(f"{name}={value}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
