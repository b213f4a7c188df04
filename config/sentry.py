"""Sentry with PII off: no request bodies, cookies, auth headers or client IPs ever leave.

send_default_pii=False keeps most of it out already; before_send is the last wall and
assumes nothing: it drops what can hold secrets and scrubs every free-text field that is left.
"""
import sentry_sdk

from config.pii_logging import scrub_text

SENSITIVE_HEADERS = {
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-csrftoken",
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "true-client-ip",
    "cf-connecting-ip",
}
CONTEXT_LINE_KEYS = ("pre_context", "context_line", "post_context")


def _scrub(value):
    """Scrub every string inside a JSON-like value."""
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {key: _scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item) for item in value]
    return value


def _scrub_stacktrace(stacktrace) -> None:
    for frame in (stacktrace or {}).get("frames") or []:
        frame.pop("vars", None)
        for key in CONTEXT_LINE_KEYS:
            if key in frame:
                frame[key] = _scrub(frame[key])


def _scrub_request(request: dict) -> None:
    for key in ("data", "cookies", "query_string", "env"):
        request.pop(key, None)
    headers = request.get("headers") or {}
    request["headers"] = {k: _scrub(v) for k, v in headers.items() if k.lower() not in SENSITIVE_HEADERS}
    if "url" in request:
        request["url"] = scrub_text(request["url"])


def before_send(event, hint):
    if event.get("request"):
        _scrub_request(event["request"])
    user = event.get("user")
    if user:
        event["user"] = {"id": user["id"]} if user.get("id") else {}
    message = event.get("message")
    if isinstance(message, str):
        event["message"] = scrub_text(message)
    for key in ("logentry", "message"):
        entry = event.get(key)
        if isinstance(entry, dict):
            entry.pop("params", None)  # the raw arguments; "formatted" is the scrubbed rendering
            event[key] = _scrub(entry)
    for exc in (event.get("exception") or {}).get("values") or []:
        if exc.get("value"):
            exc["value"] = scrub_text(exc["value"])
        _scrub_stacktrace(exc.get("stacktrace"))
    for thread in (event.get("threads") or {}).get("values") or []:
        _scrub_stacktrace(thread.get("stacktrace"))
    if event.get("breadcrumbs"):
        event["breadcrumbs"] = _scrub(event["breadcrumbs"])
    if event.get("extra"):
        event["extra"] = _scrub(event["extra"])
    if event.get("tags"):
        event["tags"] = _scrub(event["tags"])
    return event


def before_breadcrumb(crumb, hint):
    return _scrub(crumb)


def init_sentry(*, dsn: str, environment: str) -> None:
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        traces_sample_rate=0.0,
    )
