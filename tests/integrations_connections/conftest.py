import datetime

import pytest
from django.utils import timezone

from integrations.connections.models import OAuthConnection
from tenants.scope import org_scope
from tests.integrations_connections.fake_oauth import FakeOAuth


@pytest.fixture
def fake_oauth(settings):
    fake = FakeOAuth().start()
    fake.configure(settings)
    yield fake
    fake.stop()


def make_connection(membership, provider="gmail", *, fake=None, expires_in=3600, access_token="ya29.initial", refresh_token=None):
    """A stored grant as the connect flow would leave it; `fake` registers its refresh token there."""
    if refresh_token is None and fake is not None:
        refresh_token = fake.issue_refresh_token()
    with org_scope(membership.organization):
        return OAuthConnection.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            provider=provider,
            account_email=membership.user.email,
            access_token=access_token,
            refresh_token=refresh_token or "",
            expires_at=timezone.now() + datetime.timedelta(seconds=expires_in),
        )
