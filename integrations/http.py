"""HTTP plumbing shared by the provider clients (Gmail, Zoom...): one attempt per call, and a
verdict on whether a failed request can have reached the provider.

The verdict matters because the callers must never act twice: a request that provably never
left can be retried; one that may have landed must be reconciled with the provider first.
"""
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NameResolutionError, NewConnectionError
from urllib3.util.retry import Retry

NOT_SENT, AMBIGUOUS = "not_sent", "ambiguous"


def no_retry_session() -> requests.Session:
    """A session whose library-level retries are off, so every attempt is one the caller decides on."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=Retry(total=0, connect=0, read=0, redirect=0, status=0, other=0, raise_on_status=False))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.trust_env = False  # no proxies or netrc credentials picked up from the environment
    return session


def never_connected(exc: requests.ConnectionError) -> bool:
    """True only when no byte of the request can have reached the server."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (NewConnectionError, NameResolutionError))


def transport_verdict(exc: requests.RequestException) -> tuple[str, str]:
    """(NOT_SENT or AMBIGUOUS, a short message without URLs or tokens) for a failed request."""
    if isinstance(exc, requests.ConnectionError) and never_connected(exc):
        return NOT_SENT, f"connection failed: {type(exc).__name__}"
    if isinstance(exc, requests.ConnectionError):
        return AMBIGUOUS, f"connection lost: {type(exc).__name__}"
    if isinstance(exc, requests.Timeout):  # ReadTimeout: the request was sent, the answer never came
        return AMBIGUOUS, f"timeout: {type(exc).__name__}"
    return AMBIGUOUS, f"transport error: {type(exc).__name__}"


AUTH, PERMANENT = "auth", "permanent"
REFUSED_BEFORE_ACTING = {429, 503}  # rate limited / unavailable: the provider did nothing


def status_verdict(status: int) -> str | None:
    """None for success; else AUTH (401), NOT_SENT (429, 503), AMBIGUOUS (other 5xx: it may have
    acted before failing) or PERMANENT (any other 4xx: the same request will fail again)."""
    if status < 300:
        return None
    if status == 401:
        return AUTH
    if status in REFUSED_BEFORE_ACTING:
        return NOT_SENT
    return AMBIGUOUS if status >= 500 else PERMANENT


def request_once(
    session, method: str, url: str, *, token: str, timeout: float, errors: dict, provider: str,
    describe=lambda response: "", auth_markers: tuple[str, ...] = (), **kwargs,
):
    """One bearer-authenticated request. Returns the response on 2xx; otherwise raises
    errors[verdict](message, status=...) where verdict is NOT_SENT, AMBIGUOUS, AUTH or PERMANENT.
    `describe(response)` gives a short, token-free detail of an error body; a detail containing
    one of `auth_markers` (e.g. Google's invalid_grant) is an AUTH failure whatever the status."""
    try:
        response = session.request(
            method, url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout, allow_redirects=False, **kwargs
        )
    except requests.RequestException as exc:
        verdict, message = transport_verdict(exc)
        raise errors[verdict](message) from exc
    verdict = status_verdict(response.status_code)
    if verdict is None:
        return response
    detail = describe(response)
    if any(marker in detail for marker in auth_markers):
        verdict = AUTH
    message = f"{provider} answered {response.status_code}" + (f" ({detail})" if detail else "")
    raise errors[verdict](message, status=response.status_code)
