"""'Your sessions': see where you are signed in, end one or all the others; change your password."""
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts import sessions
from accounts.mfa_views import user_key

# Per account: a stolen session must not be able to guess the old password at leisure.
PASSWORD_CHANGE_RATE = "5/m"


@never_cache
@login_required
def session_list(request):
    rows = list(sessions.sessions_for_user(user=request.user))
    current = sessions.current_session_id(request)
    return render(request, "accounts/sessions.html", {"sessions": rows, "current_id": current})


@never_cache
@require_POST
@login_required
def session_revoke(request, session_id):
    row = sessions.session_get_for_owner(user=request.user, public_id=session_id)
    if row.pk == sessions.current_session_id(request):
        messages.error(request, "That is this session; use Sign out instead.")
        return redirect("accounts:sessions")
    sessions.session_end(session=row)
    messages.success(request, "Session ended; that browser is signed out.")
    return redirect("accounts:sessions")


@never_cache
@require_POST
@login_required
def session_revoke_others(request):
    ended = sessions.end_all_sessions(request.user, except_session_key=request.session.session_key)
    messages.success(request, f"Signed out {ended} other session(s).")
    return redirect("accounts:sessions")


@never_cache
@login_required
@ratelimit(group="password-change", key=user_key, rate=PASSWORD_CHANGE_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)  # keeps this session (with a new key)
        sessions.session_follow_key(request)
        ended = sessions.end_all_sessions(user, except_session_key=request.session.session_key)
        messages.success(request, f"Password changed; {ended} other session(s) signed out.")
        return redirect("accounts:sessions")
    return render(request, "accounts/password_change.html", {"form": form}, status=400 if form.errors else 200)
