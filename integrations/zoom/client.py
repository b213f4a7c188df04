"""A small Zoom API client: create a meeting, and find one again by the tracking field we set.

POST /v2/users/me/meetings       {topic, type: 2, start_time (UTC, "Z"), duration, timezone,
                                  settings, tracking_fields: [{field, value: our idempotency key}]}
GET  /v2/users/me/meetings       ?type=upcoming&page_size=&next_page_token=  (no tracking fields)
GET  /v2/meetings/{meetingId}    the meeting, with its tracking_fields, join_url and start_url

Failures are classified for the caller, which must never create twice:
- ZoomNotCreated: provably not created (connection never made, 429, 503). Retry with backoff.
- ZoomAmbiguous: may have been created (timeout after sending, connection lost, other 5xx).
  Reconcile with `find_by_tracking_value` before any new create.
- ZoomAuthError: 401. The member must reconnect Zoom; never retried.
- ZoomPermanent: any other 4xx (400 validation, 404). Never retried.
"""
import datetime

from django.conf import settings

from integrations.http import AMBIGUOUS, AUTH, NOT_SENT, PERMANENT, no_retry_session, request_once

CREATE_PATH = "/v2/users/me/meetings"
LIST_PATH = "/v2/users/me/meetings"
MEETING_PATH = "/v2/meetings/{id}"
SCHEDULED_MEETING = 2
PAGE_SIZE = 300  # Zoom's maximum
MAX_PAGES = 20  # a host with more than 6,000 upcoming meetings is not one we can reconcile by listing
MEETING_SETTINGS = {"join_before_host": False, "waiting_room": True, "mute_upon_entry": True}


class ZoomError(Exception):
    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class ZoomNotCreated(ZoomError):
    pass


class ZoomAmbiguous(ZoomError):
    pass


class ZoomAuthError(ZoomError):
    pass


class ZoomPermanent(ZoomError):
    pass


ERRORS = {NOT_SENT: ZoomNotCreated, AMBIGUOUS: ZoomAmbiguous, AUTH: ZoomAuthError, PERMANENT: ZoomPermanent}


def zoom_time(value: datetime.datetime) -> str:
    """Zoom's UTC form: yyyy-MM-ddTHH:mm:ssZ (with the Z, Zoom reads it as GMT)."""
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _error_detail(response) -> str:
    """Zoom's error body is {"code": 300, "message": "..."}; keep the code and a short message."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    code, message = body.get("code"), str(body.get("message") or "")[:120]
    return f"code {code}: {message}" if code is not None else message


def _meeting(body) -> dict:
    if not isinstance(body, dict) or not body.get("id"):
        raise ZoomAmbiguous("unreadable meeting in Zoom's answer")
    return {
        "id": str(body["id"]),
        "join_url": str(body.get("join_url") or ""),
        "start_url": str(body.get("start_url") or ""),
        "tracking_fields": body.get("tracking_fields") or [],
        "agenda": str(body.get("agenda") or ""),
    }


def agenda_marker(value: str) -> str:
    """The idempotency key, also written into the agenda: Zoom keeps a tracking field only when the
    account's admin has defined it, but it always keeps the agenda, so reconciling never depends on
    how each agency set up its Zoom account."""
    return f"[cradle-request {value}]"


def carries_key(meeting: dict, value: str) -> bool:
    field = settings.ZOOM_TRACKING_FIELD
    if any(f.get("field") == field and f.get("value") == value for f in meeting["tracking_fields"]):
        return True
    return agenda_marker(value) in meeting.get("agenda", "")


class ZoomClient:
    def __init__(self, *, token_source, base_url: str | None = None, timeout: float | None = None, session=None):
        """`token_source()` returns a current access token (or raises the connections' errors)."""
        self.token_source = token_source
        self.base_url = (base_url or settings.ZOOM_API_BASE_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.ZOOM_HTTP_TIMEOUT
        self.session = session or no_retry_session()

    def _request(self, method: str, path: str, **kwargs):
        return request_once(
            self.session, method, self.base_url + path, token=self.token_source(), timeout=self.timeout,
            errors=ERRORS, provider="Zoom", describe=_error_detail, **kwargs,
        )

    def _json(self, response):
        try:
            return response.json()
        except ValueError:
            raise ZoomAmbiguous("unreadable answer from Zoom") from None

    def create_meeting(
        self, *, topic: str, start_at: datetime.datetime, duration_minutes: int, timezone: str, tracking_value: str
    ) -> dict:
        """Schedule one meeting for the connected user; returns {id, join_url, start_url, ...}."""
        payload = {
            "topic": topic[:200],
            "type": SCHEDULED_MEETING,
            "start_time": zoom_time(start_at),
            "duration": duration_minutes,
            "timezone": timezone,
            "settings": dict(MEETING_SETTINGS),
            "tracking_fields": [{"field": settings.ZOOM_TRACKING_FIELD, "value": tracking_value}],
            "agenda": f"Scheduled from Cradle. {agenda_marker(tracking_value)}",
        }
        response = self._request("POST", CREATE_PATH, json=payload)
        return _meeting(self._json(response))

    def get_meeting(self, meeting_id: str) -> dict:
        return _meeting(self._json(self._request("GET", MEETING_PATH.format(id=meeting_id))))

    def _upcoming(self):
        token = ""
        for _ in range(MAX_PAGES):
            params = {"type": "upcoming", "page_size": PAGE_SIZE}
            if token:
                params["next_page_token"] = token
            body = self._json(self._request("GET", LIST_PATH, params=params))
            yield from (body.get("meetings") or []) if isinstance(body, dict) else []
            token = body.get("next_page_token") if isinstance(body, dict) else ""
            if not token:
                return
        raise ZoomAmbiguous("too many upcoming meetings to reconcile")

    def find_by_tracking_value(self, value: str, *, start_at: datetime.datetime, topic: str) -> dict | None:
        """The meeting whose tracking field (or agenda marker) carries `value`, or None if there is none.

        The list does not include tracking fields, so meetings at our start time or with our
        topic are fetched one by one and their tracking fields compared.
        """
        for item in self._upcoming():
            same_start = _parse_time(item.get("start_time")) == start_at.replace(microsecond=0)
            if not (same_start or item.get("topic") == topic[:200]) or not item.get("id"):
                continue
            try:
                meeting = self.get_meeting(str(item["id"]))
            except ZoomPermanent:  # deleted between the list and the get
                continue
            if carries_key(meeting, value):
                return meeting
        return None
