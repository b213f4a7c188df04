"""A small Graph API client: read one lead, post Conversions API events. Nothing else.

Failures are classified for the caller:
- GraphTransient: worth retrying with backoff (timeouts, connection errors, 5xx, 429, and Graph
  error codes Meta documents as temporary: 1, 2, 4, 17, 32, 341, 613).
- GraphPermanent: retrying will not help (bad token 190, unknown object 100, other 4xx).
Messages carry Graph's code and message only; never the token or lead data.
The HTTP library's own retries are off (integrations.http), so every attempt is one we decide on.
Both calls are safe to repeat (a read; events deduplicated by event_id), so unlike Gmail or Zoom
there is no "may have landed" reconciliation: anything not clearly permanent is retried.
"""
import requests
from django.conf import settings

from integrations.http import no_retry_session
from integrations.meta.signature import appsecret_proof

TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613}


class GraphError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message[:250])
        self.status = status
        self.code = code


class GraphTransient(GraphError):
    pass


class GraphPermanent(GraphError):
    pass


def _url(path: str) -> str:
    return f"{settings.META_GRAPH_BASE_URL}/{settings.META_GRAPH_VERSION}/{path}"


def _raise_for(response: requests.Response) -> None:
    if response.status_code < 300:
        return
    code, message = None, ""
    try:
        error = response.json().get("error") or {}
        code = error.get("code")
        message = str(error.get("message") or "")
    except (ValueError, AttributeError):
        pass
    text = f"Graph answered {response.status_code}" + (f" (code {code}: {message})" if code is not None else "")
    if response.status_code >= 500 or response.status_code == 429 or code in TRANSIENT_CODES:
        raise GraphTransient(text, status=response.status_code, code=code)
    raise GraphPermanent(text, status=response.status_code, code=code)


def _call(method: str, path: str, **kwargs) -> dict:
    try:
        with no_retry_session() as session:
            response = session.request(
                method, _url(path), timeout=settings.META_HTTP_TIMEOUT, allow_redirects=False, **kwargs
            )
    except requests.Timeout as exc:
        raise GraphTransient("Graph did not answer in time") from exc
    except requests.RequestException as exc:
        raise GraphTransient(f"Graph unreachable ({type(exc).__name__})") from exc
    _raise_for(response)
    try:
        return response.json()
    except ValueError as exc:
        raise GraphTransient(f"Graph answered {response.status_code} without JSON") from exc


def fetch_lead(*, leadgen_id: str, access_token: str) -> dict:
    """GET /<leadgen_id>: {"id", "created_time", "ad_id", "form_id", "campaign_id", "field_data": [...]}."""
    return _call(
        "GET",
        leadgen_id,
        params={
            "access_token": access_token,
            "appsecret_proof": appsecret_proof(access_token),
            "fields": "id,created_time,ad_id,adset_id,campaign_id,form_id,field_data",
        },
    )


def send_events(*, pixel_id: str, access_token: str, events: list[dict]) -> dict:
    """POST /<pixel_id>/events; the token travels in the body, not the URL (URLs end up in logs)."""
    return _call(
        "POST",
        f"{pixel_id}/events",
        json={"data": events, "access_token": access_token, "appsecret_proof": appsecret_proof(access_token)},
    )
