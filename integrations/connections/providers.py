"""Each provider's OAuth 2.0 endpoints, scopes and client credentials, read from settings on use
(so tests and dev can point them at a local fake provider)."""
from dataclasses import dataclass

from django.conf import settings

from integrations.connections.models import Provider

GOOGLE_OPENID = ("openid", "email")
GMAIL_SCOPES = (
    *GOOGLE_OPENID,
    "https://www.googleapis.com/auth/gmail.send",
    # Reconciling a send whose outcome is unknown searches the mailbox by Message-ID
    # (messages.list q=rfc822msgid:), which gmail.send alone does not allow.
    "https://www.googleapis.com/auth/gmail.readonly",
)
CALENDAR_SCOPES = (*GOOGLE_OPENID, "https://www.googleapis.com/auth/calendar.events")


@dataclass(frozen=True)
class ProviderConfig:
    key: str
    family: str  # "google" | "zoom": which endpoints and client credentials
    scopes: tuple[str, ...]

    @property
    def label(self) -> str:
        return Provider(self.key).label

    @property
    def client_id(self) -> str:
        return getattr(settings, f"INTEGRATIONS_{self.family.upper()}_CLIENT_ID", "")

    @property
    def client_secret(self) -> str:
        return getattr(settings, f"INTEGRATIONS_{self.family.upper()}_CLIENT_SECRET", "")

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    @property
    def authorize_url(self) -> str:
        if self.family == "google":
            return settings.GOOGLE_OAUTH_AUTHORIZE_URL
        return settings.ZOOM_OAUTH_BASE_URL + "/oauth/authorize"

    @property
    def token_url(self) -> str:
        if self.family == "google":
            return settings.GOOGLE_OAUTH_TOKEN_URL
        return settings.ZOOM_OAUTH_BASE_URL + "/oauth/token"

    @property
    def revoke_url(self) -> str:
        if self.family == "google":
            return settings.GOOGLE_OAUTH_REVOKE_URL
        return settings.ZOOM_OAUTH_BASE_URL + "/oauth/revoke"

    def authorize_params(self) -> dict:
        """Provider-specific extras on the authorization request."""
        if self.family == "google":
            # offline + consent: Google issues a refresh token (it omits it on silent re-consent).
            return {"access_type": "offline", "prompt": "consent", "include_granted_scopes": "true"}
        return {}


PROVIDERS = {
    Provider.GMAIL: ProviderConfig(Provider.GMAIL.value, "google", GMAIL_SCOPES),
    Provider.GOOGLE_CALENDAR: ProviderConfig(Provider.GOOGLE_CALENDAR.value, "google", CALENDAR_SCOPES),
    # Zoom scopes are set on the app in Zoom's marketplace, not requested per authorization.
    Provider.ZOOM: ProviderConfig(Provider.ZOOM.value, "zoom", ()),
}


def get(key: str) -> ProviderConfig:
    try:
        return PROVIDERS[Provider(key)]
    except ValueError:
        raise KeyError(f"unknown provider {key!r}") from None
