"""Public tracking endpoints: the open pixel, click redirects, one-click unsubscribe.

Tokens are HMAC-signed (tracking.tokens) and checked before any database work; the message and
its organization come from one unscoped lookup by the signed public id (tenants.public_entry).
- open: the same 43-byte GIF for every well-formed token, genuine or not (no oracle). Genuine
  hits are queued in Redis and written in batches (tracking.open_buffer).
- click: redirects only to the URL stored for (message, position); anything else gets a fixed
  page with 404. Nothing in the request can choose the destination.
- unsubscribe: GET shows a confirmation button, POST (the button, or a mail provider's RFC 8058
  one-click POST) adds the address to the organization's suppression list.
All answers carry Cache-Control: no-store. These views are deliberately not rate limited.
"""
import base64
import logging

from django.db import DatabaseError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from messaging.models import EmailLog
from tenants.public import public_entry
from tracking import open_buffer, services, tokens
from tracking.html import is_trackable
from tracking.models import TrackedLink

logger = logging.getLogger(__name__)
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _no_store(response):
    response["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    response["Pragma"] = "no-cache"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _resolve_log(kind):
    def resolve(request, token):
        parsed = tokens.read(kind, token)
        if parsed is None:
            return None
        # Only what the endpoint needs: loading the encrypted columns would decrypt them per request.
        return (
            EmailLog.objects.select_related("organization")
            .only("id", "public_id", "organization", "to_hash")
            .filter(public_id=parsed[0])
            .first()
        )

    return resolve


def _resolve_link(request, token):
    parsed = tokens.read("click", token)
    if parsed is None:
        return None
    return (
        TrackedLink.objects.select_related("organization", "email_log")
        .only("id", "url", "organization", "email_log__id", "email_log__organization_id", "email_log__public_id")
        .filter(email_log__public_id=parsed[0], position=parsed[1])
        .first()
    )


@public_entry(_resolve_log("open"))
def _record_open(request, log, token):
    services.record_open(log=log, request=request)


@require_http_methods(["GET", "HEAD"])
def open_pixel(request, token):
    parsed = tokens.read("open", token)
    if parsed is None or open_buffer.push(public_id=parsed[0], request=request):
        return _no_store(HttpResponse(PIXEL, content_type="image/gif"))  # forged: no work; genuine: queued
    try:
        _record_open(request, token=token)  # no Redis (dev) or it did not answer: record it now
    except Http404:
        pass
    except DatabaseError:
        logger.exception("open pixel: could not record")  # still the GIF: never a 500 to a mail client
    return _no_store(HttpResponse(PIXEL, content_type="image/gif"))


@public_entry(_resolve_link)
def _follow(request, link, token):
    if not is_trackable(link.url):
        raise Http404("Not a web link")
    services.record_click(link=link, request=request)
    return HttpResponseRedirect(link.url)


@require_http_methods(["GET", "HEAD"])
def click(request, token):
    try:
        response = _follow(request, token=token)
    except Http404:
        response = render(request, "tracking/link_unavailable.html", status=404)
    return _no_store(response)


@public_entry(_resolve_log("unsub"))
def _unsubscribe(request, log, token):
    if request.method == "POST":
        services.unsubscribe(log=log, request=request)
        return render(request, "tracking/unsubscribed.html", {"organization": log.organization})
    return render(request, "tracking/unsubscribe.html", {"organization": log.organization, "token": token})


@csrf_exempt  # RFC 8058 one-click POSTs come from mail providers without a CSRF token; the signed token is the credential
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    return _no_store(_unsubscribe(request, token=token))
