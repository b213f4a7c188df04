"""Request body caps for upload views: 413 before anything reads the body, never a 500.

CsrfViewMiddleware reads request.POST (so the whole multipart body) before the view runs; views
that take uploads are therefore csrf_exempt at the outside, check Content-Length first, then run
the CSRF check themselves (`checked_post`), turning Django's RequestDataTooBig / TooManyFilesSent
into a 413 as well.
"""
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.shortcuts import render
from django.views.decorators.csrf import csrf_protect


def payload_too_large(request, *, limit_bytes: int):
    response = render(
        request, "forms_public/413.html", {"limit_mb": max(1, limit_bytes // (1024 * 1024))}, status=413
    )
    response["Connection"] = "close"  # the rest of the body is not read
    return response


def declared_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def checked_post(request, view, *, limit_bytes: int, csrf: bool = True, **kwargs):
    """Run `view` (a POST) with the body limit and CSRF checks in the right order.

    csrf=False only where the URL itself carries a secret a forger cannot know (the applicant's
    256-bit token): there the token is the CSRF defence."""
    if declared_length(request) > limit_bytes:
        return payload_too_large(request, limit_bytes=limit_bytes)
    try:
        return (csrf_protect(view) if csrf else view)(request, **kwargs)
    except (RequestDataTooBig, TooManyFilesSent, TooManyFieldsSent):
        return payload_too_large(request, limit_bytes=limit_bytes)
