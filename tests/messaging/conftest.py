import datetime

import pytest
from django.utils import timezone

from integrations.connections.models import OAuthConnection, Provider
from surrogates import services as surrogate_services
from tenants.models import Role
from tenants.scope import org_scope
from tests.messaging.fake_gmail import FakeGmail


@pytest.fixture
def fake_gmail(settings):
    fake = FakeGmail().start()
    settings.GMAIL_API_BASE_URL = fake.base_url
    settings.GMAIL_HTTP_TIMEOUT = 2.0
    settings.EMAIL_RETRY_BASE_SECONDS = 0.01
    yield fake
    fake.stop()


def make_surrogate(world, org, *, name="Maya Patel", email=None, **extra):
    with org_scope(org):
        admin = world.member(org, Role.ADMIN)
        return surrogate_services.surrogate_create(
            membership=admin, full_name=name, email=email if email is not None else f"{name.split()[0].lower()}@{org.slug}.test", **extra
        )


def connect_gmail(membership, *, token="ya29.test-token", address=None):
    with org_scope(membership.organization):
        return OAuthConnection.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            provider=Provider.GMAIL,
            account_email=address or membership.user.email,
            access_token=token,
            expires_at=timezone.now() + datetime.timedelta(hours=1),
        )
