"""HTTP against the providers' documented OAuth 2.0 endpoints: code exchange, refresh, revoke,
and the connected account's address.

Plain `requests` rather than requests-oauthlib: oauthlib refuses http:// endpoints unless a
process-wide env switch is set, and the local fake providers the tests start are http://.
Errors carry the status and the provider's short `error` code only, never a token or a body.
"""
import base64
from dataclasses import dataclass

import requests
from django.conf import settings

from integrations.connections.providers import ProviderConfig
from integrations.http import no_retry_session

REVOKED_ERRORS = {"invalid_grant", "unauthorized_client", "invalid_token"}


class OAuthError(Exception):
    def __init__(self, message: str, *, status: int | None = None, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class OAuthGrantRevoked(OAuthError):
    """The provider says the grant is gone (invalid_grant, 401): the member must reconnect."""


class OAuthTransient(OAuthError):
    """Network trouble or a provider 5xx/429: try again later."""


class OAuthRejected(OAuthError):
    """Any other 4xx (bad code, misconfigured client): not retried."""


@dataclass
class TokenAnswer:
    access_token: str
    refresh_token: str  # "" when the provider did not send one
    expires_in: int | None
    scope: str


def _error_code(response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error")
    if isinstance(error, dict):  # Google API style {"error": {"status": ...}}
        error = error.get("status") or ""
    # Only the short error code: free-text fields (error_description, Zoom's "reason") can echo
    # the code or token that was sent.
    code = str(error or "")
    return "".join(ch for ch in code if ch.isalnum() or ch in "_-. ")[:60]


def _call(method: str, url: str, *, what: str, refresh: bool = False, **kwargs):
    try:
        response = no_retry_session().request(method, url, timeout=settings.OAUTH_HTTP_TIMEOUT, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        raise OAuthTransient(f"{what}: {type(exc).__name__}") from None
    status = response.status_code
    if status < 300:
        return response
    code = _error_code(response)
    message = f"{what}: provider answered {status}" + (f" ({code})" if code else "")
    if status >= 500 or status == 429:
        raise OAuthTransient(message, status=status, code=code)
    if refresh and (status == 401 or code in REVOKED_ERRORS):
        raise OAuthGrantRevoked(message, status=status, code=code)
    raise OAuthRejected(message, status=status, code=code)


def _client_auth(provider: ProviderConfig, data: dict) -> dict:
    """Google takes the client credentials in the form body; Zoom wants HTTP Basic."""
    if provider.family == "zoom":
        raw = f"{provider.client_id}:{provider.client_secret}".encode()
        return {"data": data, "headers": {"Authorization": "Basic " + base64.b64encode(raw).decode()}}
    return {"data": {**data, "client_id": provider.client_id, "client_secret": provider.client_secret}}


def _token_answer(response, what: str) -> TokenAnswer:
    try:
        body = response.json()
        access_token = str(body["access_token"])
    except (ValueError, KeyError, TypeError):
        raise OAuthRejected(f"{what}: unreadable token answer") from None
    expires_in = body.get("expires_in")
    try:
        expires_in = int(expires_in) if expires_in is not None else None
    except (TypeError, ValueError):
        expires_in = None
    return TokenAnswer(
        access_token=access_token,
        refresh_token=str(body.get("refresh_token") or ""),
        expires_in=expires_in,
        scope=str(body.get("scope") or ""),
    )


def exchange_code(provider: ProviderConfig, *, code: str, redirect_uri: str, code_verifier: str) -> TokenAnswer:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier}
    response = _call("POST", provider.token_url, what="code exchange", **_client_auth(provider, data))
    return _token_answer(response, "code exchange")


def refresh(provider: ProviderConfig, *, refresh_token: str) -> TokenAnswer:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    response = _call("POST", provider.token_url, what="token refresh", refresh=True, **_client_auth(provider, data))
    return _token_answer(response, "token refresh")


def revoke(provider: ProviderConfig, *, token: str) -> None:
    if provider.family == "zoom":  # documented as POST /oauth/revoke?token=... with Basic auth
        basic = _client_auth(provider, {})["headers"]
        _call("POST", provider.revoke_url, what="revoke", params={"token": token}, headers=basic)
    else:
        _call("POST", provider.revoke_url, what="revoke", data={"token": token})


def account_email(provider: ProviderConfig, *, access_token: str) -> str:
    """The address of the account that granted access (Google userinfo, Zoom GET /v2/users/me)."""
    if provider.family == "zoom":
        url = settings.ZOOM_API_BASE_URL + "/v2/users/me"
    else:
        url = settings.GOOGLE_USERINFO_URL
    response = _call("GET", url, what="account lookup", headers={"Authorization": f"Bearer {access_token}"})
    try:
        return str(response.json().get("email") or "")
    except (ValueError, AttributeError):
        return ""
