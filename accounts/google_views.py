"""/auth/login/google-oauth2/ and /auth/complete/google-oauth2/: social-auth's views behind our
guards. Every failure becomes a friendly page with a status, never a 500, and is logged by its
classification only (never the code, state or tokens the request carried).
"""
import logging

import requests
from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from social_core import exceptions as social_errors
from social_django import views as social_views

from accounts.google import GoogleSignIn, google_signin_configured
from accounts.pipeline import REFUSALS, SignInRefused

logger = logging.getLogger(__name__)

RESTART = "This sign-in attempt has expired or was already used. Please start again from the sign-in page."
UNVERIFIED = "We could not verify Google's answer, so you were not signed in. Please start again."
PROVIDER = "Google could not be reached or answered with an error. Please try again in a few minutes."
CANCELLED = "You cancelled signing in with Google. Nothing was changed."
GENERIC = "Signing in with Google did not work. Please start again."


def local_path(value: str | None) -> str:
    """`value` if it is a path on this site (no scheme, no host, no //), else ""."""
    value = (value or "").strip()
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    return value if url_has_allowed_host_and_scheme(value, allowed_hosts=set()) else ""


def _check_backend(backend: str) -> None:
    if backend != GoogleSignIn.name or not google_signin_configured():
        raise Http404("Google sign-in is not configured for this deployment.")


def _failure(request, exc: Exception):
    if isinstance(exc, SignInRefused):
        message, status = REFUSALS.get(exc.reason, GENERIC), 403
    elif isinstance(exc, social_errors.AuthCanceled):
        message, status = CANCELLED, 200
    elif isinstance(exc, social_errors.AuthAssociationError):
        message, status = REFUSALS["identity_changed"], 403
    elif isinstance(exc, (social_errors.AuthSessionError, social_errors.AuthInputError)):
        message, status = RESTART, 400
    elif isinstance(exc, (social_errors.AuthResponseError, social_errors.AuthCredentialError)):
        message, status = UNVERIFIED, 400
    elif isinstance(exc, (social_errors.AuthProviderError, requests.RequestException)):
        message, status = PROVIDER, 502
    else:
        message, status = GENERIC, 400
    logger.info(
        "Google sign-in refused: %s (%s at %s)",
        type(exc).__name__,
        getattr(exc, "reason", None) or getattr(exc, "code", ""),
        getattr(exc, "stage", ""),
    )
    return render(
        request,
        "accounts/signin_refused.html",
        {"message": message, "password_login": settings.PASSWORD_LOGIN_ENABLED},
        status=status,
    )


@never_cache
@require_POST
def begin(request, backend):
    _check_backend(backend)
    wanted = local_path(request.POST.get("next"))
    if request.user.is_authenticated:
        return redirect(wanted or settings.SOCIAL_AUTH_LOGIN_REDIRECT_URL)
    data = request.POST.copy()
    data.pop("next", None)
    if wanted:
        data["next"] = wanted  # social-auth keeps it in the session for the callback
    request.POST = data
    try:
        return social_views.auth(request, backend)
    except (social_errors.SocialAuthBaseException, requests.RequestException) as exc:
        return _failure(request, exc)


@never_cache
@csrf_exempt  # the provider's redirect back; the single-use state bound to this session is the check
def complete(request, backend):
    _check_backend(backend)
    try:
        return social_views.complete(request, backend)
    except (social_errors.SocialAuthBaseException, requests.RequestException) as exc:
        return _failure(request, exc)
