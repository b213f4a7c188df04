"""Google sign-in: social-core's OpenID Connect backend under the public name "google-oauth2".

social-core does the protocol work: a state bound to this browser's session and consumed once,
a nonce bound to that state and removed on use, the ID token's signature (JWKS), issuer,
audience, azp and lifetime. We add what it leaves to the deployment: the provider's location
(settings, so tests and dev point it at a fake provider), and identity taken only from the
signed ID token, never from a second, unsigned userinfo call.
"""
from django.conf import settings
from social_core.backends.open_id_connect import OpenIdConnectAuth

from config.security_headers import allow_form_targets

GOOGLE_ISSUER = "https://accounts.google.com"


def google_signin_configured() -> bool:
    return bool(settings.GOOGLE_OIDC_CLIENT_ID and settings.GOOGLE_OIDC_CLIENT_SECRET and settings.GOOGLE_OIDC_ENDPOINT)


def allow_google_form(response):
    """For a page holding a "Sign in with Google" form (the POST is redirected to the provider)."""
    if google_signin_configured():
        return allow_form_targets(response, settings.GOOGLE_OIDC_ENDPOINT)
    return response


class GoogleSignIn(OpenIdConnectAuth):
    name = "google-oauth2"
    title = "Google"
    DEFAULT_SCOPE = ["openid", "email", "profile"]
    # Only the claims we need; no tokens are kept after sign-in (the pipeline has no load_extra_data).
    EXTRA_DATA: list = []

    def oidc_endpoint(self) -> str:
        return settings.GOOGLE_OIDC_ENDPOINT.rstrip("/")

    def get_key_and_secret(self):
        return settings.GOOGLE_OIDC_CLIENT_ID, settings.GOOGLE_OIDC_CLIENT_SECRET

    def id_token_issuer(self):
        issuer = super().id_token_issuer()
        # Google documents both spellings of its issuer in ID tokens.
        return [issuer, "accounts.google.com"] if issuer == GOOGLE_ISSUER else issuer

    def user_data(self, access_token: str, *args, **kwargs):
        # The validated ID token carries email and email_verified; a userinfo answer is not signed.
        return dict(self.id_token or {})

    def get_user_details(self, response):
        claims = self.id_token or {}
        return {
            "username": claims.get("email") or "",
            "email": (claims.get("email") or "").strip().lower(),
            "fullname": claims.get("name") or "",
            "first_name": claims.get("given_name") or "",
            "last_name": claims.get("family_name") or "",
        }
