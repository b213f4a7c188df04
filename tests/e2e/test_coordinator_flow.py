"""End to end in a real Chromium: a coordinator moves a surrogate forward and asks to move it
back; an admin approves. Drives the app as a person would, through the login page."""
import os

import pytest
from django.db import connections

from surrogates.models import Stage, StatusChange, StatusChangeRequest, Surrogate
from surrogates.services import surrogate_create
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import PASSWORD
from tests.e2e.mfa import complete_mfa

pytestmark = [pytest.mark.postgres, pytest.mark.browser]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test body
    # are still plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        # While Playwright's loop runs in this thread, Django keeps the test body's DB connection
        # in a context-local slot that close_all() after this block cannot see; left open, it
        # stops pytest-django dropping the test database ("being accessed by other users").
        connections.close_all()
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def sign_in(page, base_url, email):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    complete_mfa(page, base_url, email)
    page.wait_for_url(f"{base_url}/surrogates/**")


@pytest.mark.django_db(transaction=True)
def test_coordinator_moves_forward_requests_regression_and_admin_approves(world, live_server, browser):
    org = world.org_a
    intake = world.member(org, Role.INTAKE_SPECIALIST)
    admin = world.member(org, Role.ADMIN)
    with org_scope(org):
        surrogate = surrogate_create(membership=admin, full_name="Willow Testcase", owner=intake.user)
        surrogate_create(membership=admin, full_name="Other Person", owner=intake.user)
        stages = {stage.key: stage for stage in Stage.objects.all()}
    base = live_server.url

    page = browser.new_page()
    sign_in(page, base, intake.user.email)
    page.fill("input[name=q]", "Willow")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("tr[data-surrogate]")
    assert rows.count() == 1
    rows.first.locator("a").first.click()
    page.wait_for_url(f"**/surrogates/{surrogate.public_id}/")
    assert "Willow Testcase" in page.content()

    # Forward: new_unread -> contacted -> qualified.
    for key in ("contacted", "qualified"):
        page.select_option("#id_to_stage", value=str(stages[key].pk))
        with page.expect_navigation():
            page.click("button:has-text('Change stage')")
    with org_scope(org):
        assert Surrogate.objects.get(pk=surrogate.pk).stage.key == "qualified"

    # Back to new_unread (not the previous stage, so not an undo): a request for an admin.
    page.select_option("#id_to_stage", value=str(stages["new_unread"].pk))
    page.fill("#id_reason", "Applicant withdrew her answers; start over.")
    with page.expect_navigation():
        page.click("button:has-text('Change stage')")
    assert "approval" in page.content().lower()
    with org_scope(org):
        assert Surrogate.objects.get(pk=surrogate.pk).stage.key == "qualified"
        request = StatusChangeRequest.objects.get(surrogate=surrogate, state="pending")
    page.close()

    admin_page = browser.new_page()
    sign_in(admin_page, base, admin.user.email)
    admin_page.goto(f"{base}/surrogates/approvals/")
    row = admin_page.locator(f"[data-request='{request.public_id}']")
    assert "Willow Testcase" in row.inner_text()
    with admin_page.expect_navigation():
        row.locator("button:has-text('Approve')").click()
    admin_page.screenshot(path=os.path.join(os.environ.get("E2E_ARTIFACTS", "var"), "e2e-approved.png"))

    with org_scope(org):
        surrogate.refresh_from_db()
        assert surrogate.stage.key == "new_unread"
        change = StatusChange.objects.filter(surrogate=surrogate).order_by("-recorded_at", "-id").first()
        assert change.kind == StatusChange.Kind.APPROVED_REGRESSION
        assert change.requested_by == intake.user and change.approved_by == admin.user
        assert StatusChangeRequest.objects.get(pk=request.pk).state == "approved"
