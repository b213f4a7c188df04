"""The dev mode of the fake Google provider (accounts.fake_oidc): its authorize page asks which
address to sign in as, and the whole sign-in then completes against Cradle."""
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from accounts.fake_oidc import CLIENT_ID, CLIENT_SECRET, FakeGoogleOIDC
from tenants.models import Role
from tests.accounts.test_google_signin import BEGIN, back_from_provider

pytestmark = pytest.mark.postgres


@pytest.fixture
def dev_google(settings):
    fake = FakeGoogleOIDC(interactive=True, default_email="admin@agency-a.test").start()
    settings.GOOGLE_OIDC_CLIENT_ID = CLIENT_ID
    settings.GOOGLE_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.GOOGLE_OIDC_ENDPOINT = fake.url
    settings.GOOGLE_SIGNIN_ALLOWED_DOMAINS = []
    yield fake
    fake.stop()


def _consent(authorize_url, **extra):
    page = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert page.status_code == 200 and 'name="login_email"' in page.text and "admin@agency-a.test" in page.text
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    return requests.post(
        authorize_url.split("?")[0], data={**params, **extra}, allow_redirects=False, timeout=10
    )


def test_typed_address_signs_in_as_that_member(client, world, dev_google):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    authorize_url = client.post(BEGIN)["Location"]
    answer = _consent(authorize_url, login_email=member.user.email.upper(), consent="allow")
    assert answer.status_code == 302
    response = back_from_provider(client, answer.headers["Location"])
    assert response.status_code == 302, response.content[:500]
    assert client.session.get("_auth_user_id") == str(member.user.pk)


def test_cancel_comes_back_as_access_denied(client, world, dev_google):
    authorize_url = client.post(BEGIN)["Location"]
    answer = _consent(authorize_url, login_email="admin@agency-a.test", consent="deny")
    assert answer.status_code == 302 and "error=access_denied" in answer.headers["Location"]
    response = back_from_provider(client, answer.headers["Location"])
    assert client.session.get("_auth_user_id") is None and response.status_code == 200  # the friendly "cancelled" page
