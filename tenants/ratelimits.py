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
    """The rate-limit key for a client address: IPv4 per address, IPv6 per /64.

    One subscriber usually holds a whole IPv6 /64, so keying per address would let a client
    rotate addresses and never hit the limit.
    """
    ip = client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6 and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def login_account_key(group, request) -> str:
    """Per account, hashed so the cache never holds the email in clear."""
    username = (request.POST.get("username") or "").strip().lower()
    return hashlib.sha256(username.encode()).hexdigest()


def too_many_requests(request, exception=None):
    body = render_to_string("429.html", {"retry_after": RETRY_AFTER_SECONDS}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
