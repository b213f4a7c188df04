"""pytest fixtures for the fake Google OpenID provider (accounts.fake_oidc, also runnable in dev).

Import both fixtures into a test module to use `fake_google`.
"""
import pytest

from accounts.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeGoogleOIDC

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "FakeGoogleOIDC", "fake_google", "google_provider"]


@pytest.fixture(scope="session")
def google_provider():
    fake = FakeGoogleOIDC().start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_google(google_provider, settings):
    """The provider, reset, with this deployment's Google sign-in pointed at it."""
    google_provider.reset()
    settings.GOOGLE_OIDC_CLIENT_ID = CLIENT_ID
    settings.GOOGLE_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.GOOGLE_OIDC_ENDPOINT = google_provider.url
    settings.GOOGLE_SIGNIN_ALLOWED_DOMAINS = []
    return google_provider
