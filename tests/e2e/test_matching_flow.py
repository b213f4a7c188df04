"""End to end in Chromium: a case manager starts the day on the dashboard, proposes a match and
imports a CSV (progress page, summary); an admin opens the proposal (reviewing) and accepts it."""
import os

import pytest

from matching.models import Match, MatchStatus
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.e2e.test_coordinator_flow import browser  # noqa: F401  (the Chromium fixture, same launch settings)
from tests.conftest import PASSWORD
from tests.e2e.mfa import complete_mfa
from tests.matching.helpers import parent, ready_surrogate

pytestmark = [pytest.mark.postgres, pytest.mark.browser]


def sign_in(page, base_url, email):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    complete_mfa(page, base_url, email)


@pytest.mark.django_db(transaction=True)
def test_dashboard_propose_accept_and_import(world, live_server, browser, tmp_path):  # noqa: F811
    org = world.org_a
    case = world.member(org, Role.CASE_MANAGER)
    admin = world.member(org, Role.ADMIN)
    surrogate = ready_surrogate(world, org, name="Rosa Ready")
    ip = parent(world, org, name="Quinn Hopeful")
    base = live_server.url
    errors = []

    page = browser.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, case.user.email)
    page.goto(f"{base}/")
    assert page.locator("[data-testid=funnel] g[data-stage=ready_to_match]").get_attribute("data-count") == "1"

    page.goto(f"{base}/matches/propose/")
    page.select_option("#id_surrogate", value=str(surrogate.public_id))
    page.select_option("#id_intended_parent", value=str(ip.public_id))
    with page.expect_navigation():
        page.click("[data-testid=propose-form] button")
    assert page.locator("[data-testid=match-status]").inner_text() == "Proposed"

    csv_path = tmp_path / "leads.csv"
    csv_path.write_text("name,email\nIris Imported,iris@example.com\nBroken Row,not-an-email\n")
    page.goto(f"{base}/surrogates/import/")
    page.set_input_files("#id_file", str(csv_path))
    with page.expect_navigation():
        page.click("[data-testid=import-form] button")
    assert "1</strong> will be created" in page.content()
    with page.expect_navigation():
        page.click("[data-testid=start-import] button")
    page.wait_for_selector("[data-testid=import-summary]", timeout=20_000)
    assert "Created 1, skipped 0, failed 1" in page.locator("[data-testid=import-summary]").inner_text()
    page.close()

    admin_page = browser.new_page()
    admin_page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(admin_page, base, admin.user.email)
    with org_scope(org):
        match = Match.objects.get()
    admin_page.goto(f"{base}/matches/{match.public_id}/")
    assert admin_page.locator("[data-testid=match-status]").inner_text() == "Reviewing"
    with admin_page.expect_navigation():
        admin_page.click("[data-testid=accept-form] button")
    assert admin_page.locator("[data-testid=match-status]").inner_text() == "Accepted"
    admin_page.screenshot(path=os.path.join(os.environ.get("E2E_ARTIFACTS", "var"), "e2e-match-accepted.png"))
    with org_scope(org):
        assert Match.objects.get().status == MatchStatus.ACCEPTED
        assert Surrogate.objects.get(pk=surrogate.pk).stage.key == "matched"
        assert Surrogate.objects.filter(full_name="Iris Imported", source="import").exists()
    assert not errors, errors
