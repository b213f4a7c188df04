"""/settings/integrations/: a member connects and disconnects their own accounts.

Every failure (cancelled consent, stale or foreign state, provider error) becomes a message on
the settings page. The code and state never reach a log line, a message or a login `next`.
"""
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.security_headers import allow_form_targets
from integrations.connections import oauth_state, providers, selectors, services
from integrations.connections.errors import ConnectFlowError
from tenants.access import member_required

SETTINGS_PAGE = "integrations:settings"


def _redirect_uri(provider: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("integrations:callback", args=[provider])


@never_cache
@member_required
def settings_page(request):
    response = render(request, "integrations/connections.html", {"rows": selectors.connections_for(request.membership)})
    # Connect buttons post here and are redirected to the provider's consent page.
    return allow_form_targets(response, *(config.authorize_url for config in providers.PROVIDERS.values() if config.configured))


@require_POST
@member_required
def connect(request, provider):
    config = providers.get(provider)
    if not config.configured:
        messages.error(request, f"{config.label} is not configured for this site.")
        return redirect(SETTINGS_PAGE)
    state, verifier = oauth_state.begin(request, config.key)
    return redirect(
        services.authorization_url(provider=config.key, state=state, code_verifier=verifier, redirect_uri=_redirect_uri(config.key))
    )


@never_cache
@require_GET
def callback(request, provider):
    config = providers.get(provider)
    if not request.user.is_authenticated or request.membership is None:
        # No login `next=` here: it would carry the code and state into another URL.
        messages.error(request, "Sign in, then connect the account again from your settings.")
        return redirect("login")
    try:
        verifier = oauth_state.consume(request, config.key, request.GET.get("state", ""))
        if request.GET.get("error"):
            error = request.GET["error"]
            if error == "access_denied":
                raise ConnectFlowError(f"{config.label} was not connected: the permission request was declined.")
            raise ConnectFlowError(services.PROVIDER_REFUSED.format(label=config.label))
        code = request.GET.get("code", "")
        if not code:
            raise ConnectFlowError(services.PROVIDER_REFUSED.format(label=config.label))
        connection = services.connection_complete(
            membership=request.membership, provider=config.key, code=code, code_verifier=verifier,
            redirect_uri=_redirect_uri(config.key),
        )
    except ConnectFlowError as exc:
        messages.error(request, str(exc))
        return redirect(SETTINGS_PAGE)
    messages.success(request, f"{config.label} connected as {connection.account_email or 'your account'}.")
    return redirect(SETTINGS_PAGE)


@require_POST
@member_required
def disconnect(request, provider):
    config = providers.get(provider)
    if services.connection_disconnect(membership=request.membership, provider=config.key):
        messages.success(request, f"{config.label} disconnected.")
    return redirect(SETTINGS_PAGE)
