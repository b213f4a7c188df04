import datetime

import pytest
from django.utils import timezone

from integrations.connections.models import OAuthConnection, Provider
from tenants.scope import org_scope
from tests.zoom.fake_zoom import FakeZoom

ZOOM_TOKEN = "zoom-access-token-test"


@pytest.fixture
def fake_zoom(settings):
    fake = FakeZoom().start()
    settings.ZOOM_API_BASE_URL = fake.base_url
    settings.ZOOM_HTTP_TIMEOUT = 1.0
    settings.ZOOM_RETRY_BASE_SECONDS = 0.01
    fake.valid_tokens = {ZOOM_TOKEN}
    yield fake
    fake.stop()


def connect_zoom(membership, *, token=ZOOM_TOKEN):
    """A connected Zoom grant, as the OAuth callback leaves it (tokens encrypted by the model)."""
    with org_scope(membership.organization):
        return OAuthConnection.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            provider=Provider.ZOOM,
            account_email=membership.user.email,
            access_token=token,
            refresh_token="zoom-refresh-token-test",
            expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
