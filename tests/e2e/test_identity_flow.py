"""Issue 7's "done when", end to end in a real Chromium: an admin invites a new person; they sign in
through the (fake, local) Google provider, which the browser really visits; they enroll an
authenticator (the code computed from the key the page shows) and connect Gmail through the fake
OAuth provider; the admin deactivates them, and their next page load is refused."""
import re

import pytest
from django.core import mail

from integrations.connections.models import OAuthConnection
from tenants.models import Invitation, Membership, Role
from tenants.scope import unscoped
from tests.e2e.mfa import complete_mfa
from tests.conftest import PASSWORD
from tests.e2e.test_coordinator_flow import browser  # noqa: F401  (fixture)
from tests.fakes.google_oidc import fake_google, google_provider  # noqa: F401  (fixtures)
from tests.integrations_connections.fake_oauth import FakeOAuth

pytestmark = [pytest.mark.postgres, pytest.mark.browser]
NEWCOMER = "nia.newcomer@agency-a.test"


def password_sign_in(page, base_url, email):
    """The password form (the login page also offers Google here), then the authenticator step."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_password) button[type=submit]")
    complete_mfa(page, base_url, email)
    page.wait_for_url(f"{base_url}/surrogates/**")


@pytest.fixture
def fake_oauth(settings):
    fake = FakeOAuth(account_email=NEWCOMER).start()
    fake.configure(settings)
    yield fake
    fake.stop()


@pytest.mark.django_db(transaction=True)
def test_invite_google_sign_in_mfa_gmail_then_deactivation_takes_effect(
    world, live_server, browser, fake_google, fake_oauth, settings  # noqa: F811
):
    base = live_server.url
    settings.PUBLIC_BASE_URL = base  # the invitation email's link points at this server
    admin = world.member(world.org_a, Role.ADMIN)

    # 1. The admin invites a new person from the team page.
    admin_page = browser.new_context().new_page()
    password_sign_in(admin_page, base, admin.user.email)
    admin_page.goto(f"{base}/team/")
    admin_page.fill("#invite-email", NEWCOMER)
    admin_page.select_option("#invite-role", Role.CASE_MANAGER)
    with admin_page.expect_navigation():
        admin_page.click("[data-testid=invite-form] button[type=submit]")
    assert f"Invitation sent to {NEWCOMER}" in admin_page.content()
    [message] = [m for m in mail.outbox if m.to == [NEWCOMER]]
    link = re.search(r"(http://\S+/invite/\S+/)", message.body).group(1)

    # 2. The newcomer opens the link and signs in with Google: the browser goes to the provider's
    #    authorize URL, which sends it straight back with a code.
    fake_google.identity = {"sub": "g-e2e-1", "email": NEWCOMER, "email_verified": True, "name": "Nia Newcomer"}
    visits_before = len(fake_google.authorize_calls)
    page = browser.new_context().new_page()
    provider_urls = []
    page.on("request", lambda request: provider_urls.append(request.url) if request.url.startswith(fake_google.url) else None)
    page.goto(link)
    # No account yet: the page offers Google beside creating a password account.
    assert page.locator("[data-testid=invitation]").get_attribute("data-state") == "create_account"
    page.click("[data-testid=google-signin]")

    # 3. First sign-in: enroll the authenticator, with the code computed from the key shown.
    complete_mfa(page, base, NEWCOMER)
    page.wait_for_url(f"{base}/")
    assert len(fake_google.authorize_calls) == visits_before + 1
    assert any("/o/oauth2/v2/auth?" in url for url in provider_urls)
    with unscoped():
        membership = Membership.objects.select_related("user").get(user__email=NEWCOMER)
        assert Invitation.objects.get(email=NEWCOMER).state == Invitation.State.ACCEPTED
    assert membership.organization == world.org_a and membership.role == Role.CASE_MANAGER and membership.is_active
    assert "Nia" in page.locator("header .who").inner_text()

    # 4. They connect Gmail on their integrations page (fake Google OAuth provider).
    page.goto(f"{base}/settings/integrations/")
    # The click really leaves for the provider (CSP form-action allows its origin), which sends
    # the browser back to the callback.
    page.click("tr[data-provider=gmail] form button")
    page.wait_for_url(re.compile(r".*/settings/integrations/.*"))
    gmail_row = page.locator("tr[data-provider=gmail]")
    assert "Connected" in gmail_row.inner_text() and NEWCOMER in gmail_row.inner_text()
    assert OAuthConnection._base_manager.filter(membership=membership, provider="gmail").count() == 1

    # 5. The admin deactivates them; their very next page load is refused.
    assert page.goto(f"{base}/surrogates/").ok
    admin_page.goto(f"{base}/team/")
    with admin_page.expect_navigation():
        admin_page.click(f"tr[data-member='{NEWCOMER}'] [data-testid=deactivate]")
    assert "was deactivated" in admin_page.content()
    page.goto(f"{base}/surrogates/")
    assert page.url.startswith(f"{base}/accounts/login/")
    assert "Your access to that organization has been removed." in page.content()
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/accounts/login/")
