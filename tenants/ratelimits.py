"""The shared rate limiter: one client-IP function, one 429 response, keys for django-ratelimit."""
import hashlib
import ipaddress

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 60


def client_ip(request) -> str:
    """The client address, trusting X-Forwarded-For only for TRUSTED_PROXY_HOPS proxies.

    Each trusted proxy appends the address it saw, so the client is the hops-th entry from the
    right; anything further left was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_HOPS
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            candidate = forwarded[-hops]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return remote


def ip_key(group, request) -> str:
    return client_ip(request)


def login_account_key(group, request) -> str:
    """Per account, hashed so the cache never holds the email in clear."""
    username = (request.POST.get("username") or "").strip().lower()
    return hashlib.sha256(username.encode()).hexdigest()


def too_many_requests(request, exception=None):
    body = render_to_string("429.html", {"retry_after": RETRY_AFTER_SECONDS}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
