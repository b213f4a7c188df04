"""MFA pages: enroll an authenticator, verify this session, and the admin's reset of a member's MFA."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_ratelimit.decorators import ratelimit

from accounts import mfa, sessions
from tenants.access import member_required
from tenants.models import Membership, Role
from tenants.ratelimits import RETRY_AFTER_SECONDS

VERIFY_RATE = "5/m"


def user_key(group, request) -> str:
    return f"user:{request.user.pk}"


def _local(request, wanted: str) -> bool:
    return bool(wanted) and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    return wanted if _local(request, wanted) else reverse(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _too_many_attempts(request) -> HttpResponse:
    body = render_to_string("accounts/mfa_429.html", {"retry_after": RETRY_AFTER_SECONDS}, request=request)
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _mark_verified(request, device) -> None:
    otp_login(request, device)
    # A new session key once the second factor is in, so a key seen before cannot be upgraded.
    request.session.cycle_key()
    sessions.session_follow_key(request)


@never_cache  # the secret, QR and recovery codes must not sit in a cache
@login_required
@ratelimit(group="mfa-verify", key=user_key, rate=VERIFY_RATE, method="POST", block=False)
@require_http_methods(["GET", "POST"])
def enroll(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if mfa.has_confirmed_device(request.user):
        return redirect(_with_next("accounts:mfa-verify", request))
    device = mfa.enrollment_device(user=request.user)
    error = ""
    if request.method == "POST":
        if getattr(request, "limited", False):
            return _too_many_attempts(request)
        try:
            codes = mfa.enrollment_confirm(user=request.user, device=device, token=request.POST.get("code", ""))
        except mfa.MFAError as exc:
            error = str(exc)
        else:
            device.refresh_from_db()
            _mark_verified(request, device)
            # Shown in this response only; the database keeps their hashes.
            return render(
                request, "accounts/mfa_recovery_codes.html", {"codes": codes, "next": _next_url(request)}
            )
    uri = mfa.provisioning_uri(device)
    context = {
        "uri": uri,
        "secret": mfa.base32_secret(device),
        "qr_svg": mfa.qr_svg(uri),
        "error": error,
        "next": _next_url(request),
    }
    return render(request, "accounts/mfa_enroll.html", context, status=400 if error else 200)


@never_cache
@login_required
@ratelimit(group="mfa-verify", key=user_key, rate=VERIFY_RATE, method="POST", block=False)
@require_http_methods(["GET", "POST"])
def verify(request):
    if request.user.is_verified():
        return redirect(_next_url(request))
    if not mfa.has_confirmed_device(request.user):
        return redirect(_with_next("accounts:mfa-enroll", request))
    error = ""
    if request.method == "POST":
        if getattr(request, "limited", False):
            return _too_many_attempts(request)
        try:
            device, kind = mfa.verify(user=request.user, token=request.POST.get("code", ""))
        except mfa.MFAError as exc:
            error = str(exc)
        else:
            _mark_verified(request, device)
            if kind == "recovery":
                left = mfa.recovery_codes_left(user=request.user)
                messages.warning(
                    request, f"You used a recovery code; {left} left. Ask an admin to reset your MFA if you lost your phone."
                )
            return redirect(_next_url(request))
    return render(
        request, "accounts/mfa_verify.html", {"error": error, "next": _next_url(request)}, status=400 if error else 200
    )


@never_cache
@require_POST
@member_required
def reset_member_mfa(request, membership_id):
    """An admin clears a member's authenticator (same organization; anyone else's id is a 404)."""
    if request.membership.role != Role.ADMIN:
        raise PermissionDenied("Only admins can reset MFA.")
    membership = Membership.objects.filter(organization=request.organization, public_id=membership_id).first()
    if membership is None:
        raise Http404("No such member.")
    ended = mfa.mfa_reset(actor=request.user, membership=membership)
    if membership.user_id == request.user.pk:
        return redirect("login")  # they reset themselves: this session ended too
    messages.success(
        request, f"MFA reset for {membership.user.display_name}: {ended} session(s) ended; they enroll again at next sign-in."
    )
    back = request.POST.get("back", "")
    return redirect(back if _local(request, back) else "home")
