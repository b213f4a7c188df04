"""`/webhooks/meta/`: Meta's subscription handshake (GET) and lead ads deliveries (POST).

CSRF-exempt on purpose: Meta cannot hold a CSRF token; the defence is the HMAC-SHA256
signature of the raw body with the app secret, checked in constant time before anything is
parsed or stored. The order of checks is the contract: size (413) before any other work, then
the per-IP rate limit (429), signature (403), JSON and shape (400), durable insert, 200.
The organization is never taken from the request: leads.record_webhook resolves it from the
page id mapping and writes inside that organization's scope.
"""
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from integrations.meta import leads, signature
from tenants.ratelimits import ip_key, too_many_requests

logger = logging.getLogger(__name__)
MAX_BODY_BYTES = 100_000


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _limited(request) -> bool:
    return is_ratelimited(
        request, group="meta.webhook", key=ip_key, rate=settings.META_WEBHOOK_RATE, method=is_ratelimited.ALL, increment=True
    )


def _signature_off() -> bool:
    # Test mode exists only in dev; the deploy guard refuses it in staging/production, and this
    # check ignores it everywhere else too (the test profile included).
    return settings.META_TEST_MODE and settings.PROFILE == "dev"


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request):
    if request.method == "GET":
        return _handshake(request)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY_BYTES:
        return _error(413, f"Body over {MAX_BODY_BYTES} bytes.")
    body = request.read(MAX_BODY_BYTES + 1)  # never more than the cap, whatever the header said
    if len(body) > MAX_BODY_BYTES:
        return _error(413, f"Body over {MAX_BODY_BYTES} bytes.")
    if _limited(request):
        return too_many_requests(request)
    if not _signature_off() and not signature.is_valid(body, request.META.get(signature.SIGNATURE_HEADER)):
        return _error(403, "Missing or invalid X-Hub-Signature-256.")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return _error(400, "The body is not valid JSON.")
    except RecursionError:  # e.g. 40000 nested "[" fit under the size cap
        return _error(400, "The body's JSON is nested too deeply.")
    try:
        changes = leads.parse_webhook(payload)
    except leads.WebhookPayloadError as exc:
        return _error(400, str(exc))
    counts = leads.record_webhook(changes=changes)
    return JsonResponse({"ok": True, **counts})


def _handshake(request):
    if _limited(request):
        return too_many_requests(request)
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    expected = settings.META_VERIFY_TOKEN
    if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
        response = HttpResponse(challenge, content_type="text/plain; charset=utf-8")
        response["X-Content-Type-Options"] = "nosniff"
        return response
    return _error(403, "Verification failed.")
