"""End to end in a real Chromium: a visitor in Paris books a call on the public page, the staff
member approves it, and the visitor moves it with the link from the confirmation email. No
JavaScript errors (CSP violations included) on the public pages."""
import os
import re

import pytest
from django.core import mail

from booking.models import Appointment, AppointmentStatus
from tenants.models import Role
from tenants.scope import org_scope
from tests.booking.helpers import make_staff
from tests.e2e.test_coordinator_flow import browser, sign_in  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.browser]


def _watch_errors(page):
    errors = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))

    def on_console(msg):
        # The browser's own favicon probe 404s on every page; it is not our script's error.
        if msg.type == "error" and not (msg.location or {}).get("url", "").endswith("/favicon.ico"):
            errors.append(f"console: {msg.text} at {(msg.location or {}).get('url')}")

    page.on("console", on_console)
    return errors


def _pick_first_open_time(page, skip=0):
    page.wait_for_selector("[data-days] button.day")
    page.locator("[data-days] button.day").first.click()
    page.wait_for_selector("[data-slots] button.slot")
    slot = page.locator("[data-slots] button.slot").nth(skip)
    start = slot.get_attribute("data-start")
    slot.click()
    assert page.locator("input[name=slot_start]").input_value() == start
    return start


@pytest.mark.django_db(transaction=True)
def test_visitor_books_staff_approves_visitor_reschedules(world, live_server, browser):  # noqa: F811
    org = world.org_a
    staff = make_staff(world, org, hours=[(day, "08:00", "18:00") for day in range(7)])
    base = live_server.url

    context = browser.new_context(timezone_id="Europe/Paris", locale="en-GB")
    page = context.new_page()
    errors = _watch_errors(page)
    page.goto(f"{base}/book/{staff.link.slug}/")
    assert page.locator("#id_visitor_timezone").input_value() == "Europe/Paris"
    page.check(f"input[name=appointment_type][value='{staff.type.public_id}']")
    start = _pick_first_open_time(page)
    page.fill("#id_name", "Paula Paris")
    page.fill("#id_email", "paula@example.com")
    page.fill("#id_phone", "+33 1 42 68 53 00")
    with page.expect_navigation():
        page.click("button:has-text('Request this time')")
    assert "Request received" in page.content()
    with org_scope(org):
        appointment = Appointment.objects.get()
    assert appointment.status == AppointmentStatus.PENDING
    assert appointment.start_at.strftime("%Y-%m-%dT%H:%M:%SZ") == start
    assert appointment.visitor_timezone == "Europe/Paris"
    assert errors == []

    staff_page = browser.new_page()
    staff.membership.user.set_password("correct-horse-battery-staple")
    staff.membership.user.save()
    sign_in(staff_page, base, staff.membership.user.email)
    staff_page.goto(f"{base}/booking/")
    row = staff_page.locator(f"[data-appointment='{appointment.public_id}']")
    assert "Paula Paris" in row.inner_text()
    with staff_page.expect_navigation():
        row.locator("a:has-text('Open')").click()
    with staff_page.expect_navigation():
        staff_page.click("button:has-text('Approve')")
    assert "Confirmed" in staff_page.locator("[data-status]").inner_text()
    staff_page.close()

    confirmation = next(m for m in mail.outbox if m.to == ["paula@example.com"] and m.subject.startswith("Confirmed"))
    manage_url = re.search(r"(http://\S+/book/manage/\S+/)", confirmation.body).group(1)
    page.goto(manage_url)
    assert "Confirmed" in page.locator("[data-status]").inner_text()
    new_start = _pick_first_open_time(page, skip=3)
    with page.expect_navigation():
        page.click("button:has-text('Move to this time')")
    assert "Moved" in page.content()
    page.screenshot(path=os.path.join(os.environ.get("E2E_ARTIFACTS", "var"), "e2e-booking-rescheduled.png"))
    with org_scope(org):
        appointment.refresh_from_db()
    assert appointment.start_at.strftime("%Y-%m-%dT%H:%M:%SZ") == new_start != start
    assert appointment.status == AppointmentStatus.CONFIRMED
    assert errors == []
    # The link from the confirmation email was rotated away.
    assert page.goto(manage_url).status == 404
    context.close()
