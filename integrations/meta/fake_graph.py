"""A local fake of the two Graph API calls Cradle makes, for dev and the tests.

    python -m integrations.meta.fake_graph --port 8765 [--app-secret S]

GET  /<version>/<leadgen_id>?access_token=..&appsecret_proof=..  -> a deterministic fake lead
POST /<version>/<pixel_id>/events  {"data": [...], "access_token": ..}  -> {"events_received": n}
GET  /_fake/events                                               -> every CAPI post recorded

The lead for a leadgen id is always the same (name, email, phone, state and one custom
question derived from the id), so a test can predict it. When an app secret is given, a wrong
appsecret_proof is refused like Graph does (400, code 100). Failures are injected per leadgen
id with `fail(leadgen_id, status, code=None, times=1)`; `leads` overrides a lead's field_data.
"""
import argparse
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FIRST = ["Avery", "Jordan", "Maya", "Olivia", "Sofia", "Emma", "Grace", "Lily", "Zoe", "Nora", "Hannah", "Chloe"]
LAST = ["Garcia", "Nguyen", "Patel", "Johnson", "Williams", "Brown", "Lopez", "Kim", "Martin", "Clark"]
STATES = ["OH", "TX", "CA", "FL", "NY", "PA", "GA", "NC", "MI", "AZ"]


def fake_lead(leadgen_id: str) -> dict:
    digest = int(hashlib.sha256(leadgen_id.encode()).hexdigest(), 16)
    first, last = FIRST[digest % len(FIRST)], LAST[(digest // 97) % len(LAST)]
    return {
        "id": leadgen_id,
        "created_time": "2026-01-15T12:00:00+0000",
        "ad_id": str(200000000 + digest % 1000),
        "adset_id": str(300000000 + digest % 1000),
        "campaign_id": str(400000000 + digest % 100),
        "form_id": str(500000000 + digest % 10),
        "field_data": [
            {"name": "full_name", "values": [f"{first} {last}"]},
            {"name": "email", "values": [f"lead.{leadgen_id}@leads.example.com"]},
            {"name": "phone_number", "values": [f"+1555{digest % 10_000_000:07d}"]},
            {"name": "state", "values": [STATES[(digest // 7) % len(STATES)]]},
            {"name": "have_you_been_pregnant_before?", "values": ["yes"]},
        ],
    }


class FakeGraph:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, app_secret: str | None = None):
        self.app_secret = app_secret
        self.lock = threading.Lock()
        self.lead_requests: list[dict] = []  # {"leadgen_id", "access_token", "appsecret_proof"}
        self.events: list[dict] = []  # {"pixel_id", "raw": bytes, "body": dict}
        self.leads: dict[str, list] = {}  # leadgen id -> field_data override
        self.failures: dict[str, list] = {}  # leadgen id or pixel id -> [(status, code), ...]
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeGraph":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, object_id: str, status: int, *, code: int | None = None, times: int = 1) -> None:
        with self.lock:
            self.failures.setdefault(str(object_id), []).extend([(status, code)] * times)

    def _next_failure(self, object_id: str):
        with self.lock:
            queue = self.failures.get(object_id)
            return queue.pop(0) if queue else None

    def _proof_ok(self, token: str, proof: str) -> bool:
        if not self.app_secret:
            return True
        expected = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, proof or "")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _graph_error(self, status: int, code: int | None, message: str):
                self._send(status, {"error": {"message": message, "type": "OAuthException", "code": code or status}})

            def do_GET(self):
                url = urlparse(self.path)
                parts = [p for p in url.path.split("/") if p]
                if parts == ["_fake", "events"]:
                    with fake.lock:
                        return self._send(200, {"events": [e["body"] for e in fake.events]})
                if len(parts) != 2:
                    return self._graph_error(404, 803, "Unknown path")
                leadgen_id = parts[1]
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with fake.lock:
                    fake.lead_requests.append(
                        {
                            "leadgen_id": leadgen_id,
                            "access_token": query.get("access_token", ""),
                            "appsecret_proof": query.get("appsecret_proof", ""),
                        }
                    )
                failure = fake._next_failure(leadgen_id)
                if failure:
                    return self._graph_error(failure[0], failure[1], "Injected failure")
                if not query.get("access_token"):
                    return self._graph_error(400, 190, "An access token is required")
                if not fake._proof_ok(query["access_token"], query.get("appsecret_proof", "")):
                    return self._graph_error(400, 100, "Invalid appsecret_proof provided in the API argument")
                lead = fake_lead(leadgen_id)
                with fake.lock:
                    if leadgen_id in fake.leads:
                        lead["field_data"] = fake.leads[leadgen_id]
                self._send(200, lead)

            def do_POST(self):
                parts = [p for p in urlparse(self.path).path.split("/") if p]
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if len(parts) != 3 or parts[2] != "events":
                    return self._graph_error(404, 803, "Unknown path")
                pixel_id = parts[1]
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._graph_error(400, 100, "Invalid JSON")
                with fake.lock:
                    fake.events.append({"pixel_id": pixel_id, "raw": raw, "body": body})
                failure = fake._next_failure(pixel_id)
                if failure:
                    return self._graph_error(failure[0], failure[1], "Injected failure")
                if not body.get("access_token"):
                    return self._graph_error(400, 190, "An access token is required")
                self._send(200, {"events_received": len(body.get("data") or []), "messages": [], "fbtrace_id": "fake"})

        return Handler


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Local fake of the Meta Graph API (lead lookups, CAPI events).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--app-secret", default=None, help="check appsecret_proof with this secret")
    args = parser.parse_args(argv)
    fake = FakeGraph(host=args.host, port=args.port, app_secret=args.app_secret)
    print(f"Fake Graph API on {fake.base_url} (Ctrl-C to stop)", flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
