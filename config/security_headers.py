"""Headers Django's SecurityMiddleware does not set itself."""
from urllib.parse import urlsplit

from django.conf import settings


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def allow_form_targets(response, *urls):
    """For a page whose form posts to us and is then redirected to another site (an OAuth
    provider): browsers hold that redirect to the page's CSP form-action, which is 'self'
    everywhere else, so add just those origins, for this response only."""
    origins = []
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    if origins:
        existing = getattr(response, "_csp_update", None) or {}
        merged = [*existing.get("form-action", []), *dict.fromkeys(origins)]
        response._csp_update = {**existing, "form-action": merged}
    return response
