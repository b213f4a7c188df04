from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from django_ratelimit.decorators import ratelimit

from accounts.google import allow_google_form, google_signin_configured
from tenants.middleware import ACTIVE_ORG_SESSION_KEY
from tenants.models import Invitation, Membership
from tenants.scope import unscoped
from tenants.ratelimits import ip_key, login_account_key

LOGIN_RATE = "5/m"
ACCESS_REMOVED = "Your access has been removed. Ask your agency's admin."


class EmailAuthenticationForm(AuthenticationForm):
    """Emails are stored lower-case; accept them typed in any case."""

    def clean_username(self):
        return (self.cleaned_data.get("username") or "").strip().lower()

    def confirm_login_allowed(self, user):
        # Runs only after the password checked out, so it tells nobody without the password more
        # than the wrong-password message does.
        super().confirm_login_allowed(user)
        if user.is_superuser:
            return
        with unscoped():
            member = Membership.objects.filter(user=user, is_active=True).exists()
            # Someone invited (back) may sign in to accept: the invitation page needs them signed in.
            invited = Invitation.objects.filter(
                email=user.email, state=Invitation.State.PENDING, expires_at__gt=timezone.now()
            ).exists()
        if not (member or invited):
            raise ValidationError(ACCESS_REMOVED, code="access_removed")


@method_decorator(ratelimit(group="login-ip", key=ip_key, rate=LOGIN_RATE, method="POST", block=True), name="post")
@method_decorator(
    ratelimit(group="login-account", key=login_account_key, rate=LOGIN_RATE, method="POST", block=True), name="post"
)
class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        # Without password login the page still offers Google sign-in; a password POST is refused.
        if not settings.PASSWORD_LOGIN_ENABLED and (request.method == "POST" or not google_signin_configured()):
            raise Http404("Password login is switched off for this deployment.")
        return super().dispatch(request, *args, **kwargs)

    def render_to_response(self, context, **kwargs):
        return allow_google_form(super().render_to_response(context, **kwargs))

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "password_login": settings.PASSWORD_LOGIN_ENABLED,
            "google_signin": google_signin_configured(),
        }


@require_POST
def switch_organization(request):
    wanted = request.POST.get("organization")
    for membership in getattr(request, "memberships", []):
        if str(membership.organization.slug) == wanted:
            request.session[ACTIVE_ORG_SESSION_KEY] = membership.organization_id
            messages.success(request, f"Now working in {membership.organization.name}.")
            break
    else:
        messages.error(request, "You are not a member of that organization.")
    return redirect(settings.LOGIN_REDIRECT_URL)


def home(request):
    """The dashboard for a member; anonymous visitors go to the login page."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    if getattr(request, "membership", None) is None:
        return redirect(settings.LOGIN_REDIRECT_URL)
    from dashboard.views import dashboard

    return dashboard(request)
