"""The scaffolding of our local fake provider servers (Gmail, Zoom): a real socket served by a
thread, every request recorded, JSON answers. Subclasses implement `handle`."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeServer:
    def __init__(self):
        self.requests: list[tuple[str, str]] = []  # (method, path with query)
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends every held ("hang") answer
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

    def count(self, method: str, path_prefix: str = "") -> int:
        return sum(1 for m, p in self.requests if m == method and p.startswith(path_prefix))

    def handle(self, request: "Request") -> None:
        raise NotImplementedError

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self, method):
                with fake.lock:
                    fake.requests.append((method, self.path))
                fake.handle(Request(self, method))

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

        return Handler


class Request:
    """One request as the fake sees it, and the ways to answer it."""

    def __init__(self, handler: BaseHTTPRequestHandler, method: str):
        self.handler = handler
        self.method = method
        self.path = handler.path
        self.headers = handler.headers
        length = int(handler.headers.get("Content-Length") or 0)
        self.body = handler.rfile.read(length) if length else b""

    def json_body(self):
        return json.loads(self.body or b"{}")

    def answer(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.handler.send_response(status)
        self.handler.send_header("Content-Type", "application/json")
        self.handler.send_header("Content-Length", str(len(data)))
        self.handler.end_headers()
        self.handler.wfile.write(data)
