"""A local fake of the three Zoom API calls we make, for dev and the tests (no server here: the
tests' FakeServer and the dev fake provider, integrations.connections.fake_provider, feed it).

POST /v2/users/me/meetings   -> 201 {id, topic, start_time, join_url, start_url, tracking_fields...}
GET  /v2/users/me/meetings   ?type=upcoming&page_size=&next_page_token= (pages; no tracking fields)
GET  /v2/meetings/<id>       -> the meeting with its tracking fields

`script` holds canned outcomes for coming create calls:
- an int status (500, 503, 429, 400, 401): answered with Zoom's {"code", "message"} body, nothing created;
- "hang": create the meeting, set `created_event`, and never answer until `release` is set
  (the client times out after the meeting exists);
- ("slow", seconds): create the meeting, wait, then answer normally.
`list_script` does the same (int statuses only) for coming list calls. `valid_tokens`, when set,
makes any other bearer token a 401.
"""
import json
import threading
import time
from urllib.parse import parse_qs, urlparse

MEETINGS_PATH = "/v2/users/me/meetings"
MEETING_PATH_PREFIX = "/v2/meetings/"


class FakeZoomMeetings:
    """The fake's state and answers. `answer()` takes one request and returns (status, JSON body),
    or None when a scripted "hang" holds the answer back."""

    def __init__(self, *, valid_tokens: set[str] | None = None):
        self.meetings: list[dict] = []
        self.create_bodies: list[bytes] = []  # the exact bytes of every create call
        self.script: list = []
        self.list_script: list = []
        self.valid_tokens = valid_tokens
        # Real Zoom drops a tracking field the account's admin has not defined; False plays that account.
        self.keeps_tracking_fields = True
        self.created_event = threading.Event()
        self.release = threading.Event()  # ends every held ("hang") answer
        self.lock = threading.Lock()

    @staticmethod
    def serves(path: str) -> bool:
        path = urlparse(path).path
        return path == MEETINGS_PATH or path.startswith(MEETING_PATH_PREFIX)

    def meeting_with(self, value: str) -> list[dict]:
        return [
            m for m in self.meetings if any(f["value"] == value for f in m["tracking_fields"]) or value in m["agenda"]
        ]

    @staticmethod
    def _error(status):
        return status, {"code": 300 if status == 400 else status, "message": f"scripted {status}"}

    def answer(self, method: str, path: str, headers, body: bytes):
        token = (headers.get("Authorization") or "").removeprefix("Bearer ")
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return 401, {"code": 124, "message": "Invalid access token."}
        url = urlparse(path)
        if method == "POST" and url.path == MEETINGS_PATH:
            return self._create(body, token)
        if method == "GET" and url.path == MEETINGS_PATH:
            return self._list(parse_qs(url.query))
        if method == "GET" and url.path.startswith(MEETING_PATH_PREFIX):
            meeting_id = url.path.rsplit("/", 1)[-1]
            with self.lock:
                found = next((m for m in self.meetings if str(m["id"]) == meeting_id), None)
            if found is None:
                return 404, {"code": 3001, "message": "Meeting does not exist."}
            return 200, found
        return 404, {"code": 404, "message": "Not found"}

    def _create(self, body: bytes, token: str):
        with self.lock:
            self.create_bodies.append(body)
            action = self.script.pop(0) if self.script else 201
        if isinstance(action, int) and action != 201:
            return self._error(action)
        sent = json.loads(body or b"{}")
        with self.lock:
            meeting_id = 81000000000 + len(self.meetings) + 1
            meeting = {
                "uuid": f"uuid-{meeting_id}",
                "id": meeting_id,
                "host_id": "fake-host",
                "topic": sent.get("topic"),
                "type": sent.get("type"),
                "start_time": sent.get("start_time"),
                "duration": sent.get("duration"),
                "timezone": sent.get("timezone"),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "join_url": f"https://zoom.example/j/{meeting_id}?pwd=fakepass",
                "start_url": f"https://zoom.example/s/{meeting_id}?zak=host-secret",
                "settings": sent.get("settings") or {},
                "tracking_fields": [{**f, "visible": True} for f in sent.get("tracking_fields") or []]
                if self.keeps_tracking_fields
                else [],
                "agenda": sent.get("agenda") or "",
                "token": token,
            }
            self.meetings.append(meeting)
        self.created_event.set()
        if action == "hang":
            self.release.wait(120)
            return None
        if isinstance(action, tuple) and action[0] == "slow":
            time.sleep(action[1])
        return 201, {k: v for k, v in meeting.items() if k != "token"}

    def _list(self, query):
        with self.lock:
            action = self.list_script.pop(0) if self.list_script else 200
        if action != 200:
            return self._error(action)
        size = int((query.get("page_size") or ["30"])[0])
        offset = int((query.get("next_page_token") or ["0"])[0] or 0)
        with self.lock:
            page = self.meetings[offset : offset + size]
            more = offset + size < len(self.meetings)
            total = len(self.meetings)
        items = [{k: m[k] for k in ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone", "created_at", "join_url")} for m in page]
        return 200, {"page_size": size, "total_records": total, "next_page_token": str(offset + size) if more else "", "meetings": items}
