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
import threading
from urllib.parse import parse_qs, urlparse

from tests.fake_http import FakeServer

SEND_PATH = "/gmail/v1/users/me/messages/send"
LIST_PATH = "/gmail/v1/users/me/messages"


class FakeGmail(FakeServer):
    def __init__(self):
        super().__init__()
        self.messages: list[dict] = []  # {"id", "message_id", "raw", "parsed", "token"}
        self.script: list = []
        self.sent_event = threading.Event()

    def sends(self) -> int:
        return self.count("POST")

    def handle(self, request):
        if request.method == "POST":
            return self._send(request)
        url = urlparse(request.path)
        if url.path != LIST_PATH:
            return request.answer(404, {"error": {"code": 404}})
        query = parse_qs(url.query).get("q", [""])[0]
        wanted = query.removeprefix("rfc822msgid:").strip("<>")
        with self.lock:
            found = [{"id": m["id"], "threadId": m["id"]} for m in self.messages if m["message_id"].strip("<>") == wanted]
        request.answer(200, {"messages": found, "resultSizeEstimate": len(found)} if found else {"resultSizeEstimate": 0})

    def _send(self, request):
        if request.path != SEND_PATH:
            return request.answer(404, {"error": {"code": 404, "message": "not found"}})
        body = request.json_body()
        with self.lock:
            action = self.script.pop(0) if self.script else 200
        if action == "invalid_grant":
            return request.answer(400, {"error": "invalid_grant", "error_description": "Token has been revoked."})
        if isinstance(action, int) and action != 200:
            return request.answer(action, {"error": {"code": action, "message": "scripted", "status": "SCRIPTED"}})
        raw = base64.urlsafe_b64decode(body["raw"] + "=" * (-len(body["raw"]) % 4))
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            gmail_id = f"fake{len(self.messages) + 1:04d}"
            self.messages.append(
                {
                    "id": gmail_id,
                    "message_id": parsed["Message-ID"],
                    "raw": raw,
                    "parsed": parsed,
                    "token": request.headers.get("Authorization", ""),
                }
            )
        self.sent_event.set()
        if action == "hang":
            self.release.wait(120)
            return
        request.answer(200, {"id": gmail_id, "threadId": gmail_id, "labelIds": ["SENT"]})
