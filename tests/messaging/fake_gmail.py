"""A local fake of the two Gmail API calls we make, on a real socket in a thread.

POST /gmail/v1/users/me/messages/send  {"raw": base64url(RFC 822)}  -> {"id": ..., "threadId": ...}
GET  /gmail/v1/users/me/messages?q=rfc822msgid:<id>               -> {"messages": [{"id": ...}]} or {}

`script` is a list of canned answers for coming send calls: an int status (503, 400, 401...),
"invalid_grant", or "hang" (record the message, signal `sent_event`, and never answer until
`release` is set: the client sees a timeout after the message landed).
"""
import base64
import email
import email.policy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class FakeGmail:
    def __init__(self):
        self.messages: list[dict] = []  # {"id", "message_id", "raw", "parsed", "token"}
        self.requests: list[tuple[str, str]] = []
        self.script: list = []
        self.sent_event = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def sends(self) -> int:
        return sum(1 for method, path in self.requests if method == "POST")

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

            def do_POST(self):
                with fake.lock:
                    fake.requests.append(("POST", self.path))
                if self.path != "/gmail/v1/users/me/messages/send":
                    return self._json(404, {"error": {"code": 404, "message": "not found"}})
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    action = fake.script.pop(0) if fake.script else 200
                if action == "invalid_grant":
                    return self._json(400, {"error": "invalid_grant", "error_description": "Token has been revoked."})
                if isinstance(action, int) and action != 200:
                    return self._json(action, {"error": {"code": action, "message": "scripted", "status": "SCRIPTED"}})
                raw = base64.urlsafe_b64decode(body["raw"] + "=" * (-len(body["raw"]) % 4))
                parsed = email.message_from_bytes(raw, policy=email.policy.default)
                with fake.lock:
                    gmail_id = f"fake{len(fake.messages) + 1:04d}"
                    fake.messages.append(
                        {
                            "id": gmail_id,
                            "message_id": parsed["Message-ID"],
                            "raw": raw,
                            "parsed": parsed,
                            "token": self.headers.get("Authorization", ""),
                        }
                    )
                fake.sent_event.set()
                if action == "hang":
                    fake.release.wait(120)
                    return
                self._json(200, {"id": gmail_id, "threadId": gmail_id, "labelIds": ["SENT"]})

            def do_GET(self):
                with fake.lock:
                    fake.requests.append(("GET", self.path))
                url = urlparse(self.path)
                if url.path != "/gmail/v1/users/me/messages":
                    return self._json(404, {"error": {"code": 404}})
                query = parse_qs(url.query).get("q", [""])[0]
                wanted = query.removeprefix("rfc822msgid:").strip("<>")
                with fake.lock:
                    found = [{"id": m["id"], "threadId": m["id"]} for m in fake.messages if m["message_id"].strip("<>") == wanted]
                self._json(200, {"messages": found, "resultSizeEstimate": len(found)} if found else {"resultSizeEstimate": 0})

        return Handler
