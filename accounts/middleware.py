"""Two gates for every signed-in request, after AuthenticationMiddleware and django-otp's OTPMiddleware.

SessionActivityMiddleware ends idle, too old or revoked sessions. MFAGateMiddleware holds a
signed-in person who has not passed the second factor in this session: the only thing it asks
is request.user.is_verified(), so every way of signing in (password, Google) ends at this gate.
"""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from accounts import mfa, sessions

END_MESSAGES = {
    "idle": "You were signed out after a period of inactivity.",
    "expired": "Your session reached its maximum length; please sign in again.",
    "revoked": "This session was ended; please sign in again.",
}
MFA_REQUIRED = "Finish signing in with your authenticator code first."


class SessionActivityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            reason = sessions.session_check(request)
            if reason is not None:
                logout(request)  # flushes the store entry and drops the row (user_logged_out)
                messages.info(request, END_MESSAGES[reason])
                if _wants_json(request) or request.method not in ("GET", "HEAD"):
                    return JsonResponse({"error": END_MESSAGES[reason]}, status=401)
                return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


def _exempt_prefixes() -> tuple[str, ...]:
    static = "/" + settings.STATIC_URL.lstrip("/")
    return (
        "/accounts/mfa/",  # enroll, verify, the 429 page
        reverse("logout"),
        static,
        reverse("healthz"),
        reverse("readyz"),
        "/auth/",  # the Google sign-in flow, which itself ends at this gate
    )


def _wants_json(request) -> bool:
    accept = request.META.get("HTTP_ACCEPT", "")
    return (
        request.headers.get("x-requested-with") == "XMLHttpRequest"
        or ("application/json" in accept and "text/html" not in accept)
        or request.content_type == "application/json"
    )


class MFAGateMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt = None

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            if self._exempt is None:
                self._exempt = _exempt_prefixes()
            if not request.path.startswith(self._exempt):
                return self._hold(request)
        return self.get_response(request)

    def _hold(self, request):
        # Writes and script calls get a plain refusal: a redirect would be followed as a GET and
        # lose the body, or land an HTML page in a JSON caller.
        if _wants_json(request):
            return JsonResponse({"error": MFA_REQUIRED, "mfa_required": True}, status=403)
        if request.method not in ("GET", "HEAD"):
            body = render_to_string("403.html", {"exception": MFA_REQUIRED}, request=request)
            return HttpResponse(body, status=403)
        target = "accounts:mfa-verify" if mfa.has_confirmed_device(request.user) else "accounts:mfa-enroll"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
