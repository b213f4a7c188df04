"""A local fake of the three Zoom API calls we make, on a real socket in a thread.

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
import threading
import time
from urllib.parse import parse_qs, urlparse

from tests.fake_http import FakeServer

MEETINGS_PATH = "/v2/users/me/meetings"


class FakeZoom(FakeServer):
    def __init__(self):
        super().__init__()
        self.meetings: list[dict] = []
        self.create_bodies: list[bytes] = []  # the exact bytes of every create call
        self.script: list = []
        self.list_script: list = []
        self.valid_tokens: set[str] | None = None
        self.created_event = threading.Event()

    def creates(self) -> int:
        return self.count("POST", MEETINGS_PATH)

    def meeting_with(self, value: str) -> list[dict]:
        return [m for m in self.meetings if any(f["value"] == value for f in m["tracking_fields"])]

    @staticmethod
    def _error(request, status):
        request.answer(status, {"code": 300 if status == 400 else status, "message": f"scripted {status}"})

    def handle(self, request):
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.valid_tokens is not None and token not in self.valid_tokens:
            return request.answer(401, {"code": 124, "message": "Invalid access token."})
        url = urlparse(request.path)
        if request.method == "POST" and url.path == MEETINGS_PATH:
            return self._create(request, token)
        if request.method == "GET" and url.path == MEETINGS_PATH:
            return self._list(request, parse_qs(url.query))
        if request.method == "GET" and url.path.startswith("/v2/meetings/"):
            meeting_id = url.path.rsplit("/", 1)[-1]
            with self.lock:
                found = next((m for m in self.meetings if str(m["id"]) == meeting_id), None)
            if found is None:
                return request.answer(404, {"code": 3001, "message": "Meeting does not exist."})
            return request.answer(200, found)
        request.answer(404, {"code": 404, "message": "Not found"})

    def _create(self, request, token):
        with self.lock:
            self.create_bodies.append(request.body)
            action = self.script.pop(0) if self.script else 201
        if isinstance(action, int) and action != 201:
            return self._error(request, action)
        body = request.json_body()
        with self.lock:
            meeting_id = 81000000000 + len(self.meetings) + 1
            meeting = {
                "uuid": f"uuid-{meeting_id}",
                "id": meeting_id,
                "host_id": "fake-host",
                "topic": body.get("topic"),
                "type": body.get("type"),
                "start_time": body.get("start_time"),
                "duration": body.get("duration"),
                "timezone": body.get("timezone"),
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "join_url": f"https://zoom.example/j/{meeting_id}?pwd=fakepass",
                "start_url": f"https://zoom.example/s/{meeting_id}?zak=host-secret",
                "settings": body.get("settings") or {},
                "tracking_fields": [{**f, "visible": True} for f in body.get("tracking_fields") or []],
                "token": token,
            }
            self.meetings.append(meeting)
        self.created_event.set()
        if action == "hang":
            self.release.wait(120)
            return
        if isinstance(action, tuple) and action[0] == "slow":
            time.sleep(action[1])
        request.answer(201, {k: v for k, v in meeting.items() if k != "token"})

    def _list(self, request, query):
        with self.lock:
            action = self.list_script.pop(0) if self.list_script else 200
        if action != 200:
            return self._error(request, action)
        size = int((query.get("page_size") or ["30"])[0])
        offset = int((query.get("next_page_token") or ["0"])[0] or 0)
        with self.lock:
            page = self.meetings[offset : offset + size]
            more = offset + size < len(self.meetings)
        items = [{k: m[k] for k in ("uuid", "id", "host_id", "topic", "type", "start_time", "duration", "timezone", "created_at", "join_url")} for m in page]
        request.answer(
            200,
            {"page_size": size, "total_records": len(self.meetings), "next_page_token": str(offset + size) if more else "", "meetings": items},
        )
