"""Sentry with PII off: no request bodies, cookies, auth headers or client IPs ever leave."""
import sentry_sdk

from config.pii_logging import scrub_text

SENSITIVE_HEADERS = {"authorization", "cookie", "x-csrftoken", "x-forwarded-for", "x-real-ip", "proxy-authorization"}


def before_send(event, hint):
    request = event.get("request")
    if request:
        request.pop("data", None)
        request.pop("cookies", None)
        request.pop("query_string", None)
        request.pop("env", None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() not in SENSITIVE_HEADERS}
        if "url" in request:
            request["url"] = scrub_text(request["url"])
    user = event.get("user")
    if user:
        event["user"] = {"id": user.get("id")} if user.get("id") else {}
    for entry in (event.get("logentry"), event.get("message")):
        if isinstance(entry, dict) and "message" in entry:
            entry["message"] = scrub_text(entry["message"])
    for exc in (event.get("exception") or {}).get("values", []):
        if exc.get("value"):
            exc["value"] = scrub_text(exc["value"])
    return event


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
        traces_sample_rate=0.0,
    )
