"""End to end in a real Chromium, with the real clamd: an applicant fills in a published form
through her link and uploads a PDF; the coordinator reviews it, opens the scanned file, approves,
and sees the surrogate's record updated."""
import os

import pytest

from forms_public.uploads.models import Upload
from surrogates.models import Surrogate
from tenants.scope import org_scope
from tests.e2e.test_coordinator_flow import browser, sign_in  # noqa: F401  (fixture)
from tests.forms_public.conftest import Apply, media_root, pdf_bytes  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.browser, pytest.mark.clamd]


@pytest.mark.django_db(transaction=True)
def test_applicant_submits_with_an_upload_and_staff_approve(world, live_server, browser, tmp_path):  # noqa: F811
    apply = Apply(world, world.org_a)
    base = live_server.url
    records = tmp_path / "medical-records.pdf"
    records.write_bytes(pdf_bytes(b"blood pressure 118/76"))

    page = browser.new_page()
    page.goto(f"{base}{apply.url}")
    assert "Intake application" in page.content()
    page.fill("#id_full_name", "Marisol Browser")
    page.fill("#id_email", "marisol@example.com")
    page.fill("#id_phone", "+1 555 010 7788")
    page.fill("#id_dob", "1991-07-14")
    page.select_option("#id_state", "Utah")
    page.fill("#id_pregnancies", "2")
    page.check("input[name=smoker][value=No]")
    page.check("input[name=languages][value=English]")
    page.check("#id_consent")
    page.fill("input[name=address_0]", "12 Elm St")
    page.fill("input[name=address_1]", "Provo")
    page.fill("input[name=address_2]", "UT")
    page.fill("input[name=address_3]", "84601")
    page.set_input_files("#id_records", str(records))
    with page.expect_navigation():
        page.click("button:has-text('Submit')")
    assert page.locator("[data-testid=application-received]").count() == 1
    # The link is spent.
    assert page.goto(f"{base}{apply.url}").status == 404
    page.close()

    with org_scope(apply.org):
        upload = Upload.objects.get()
    assert upload.scan_state == "clean"  # scanned by clamd right after the submission committed

    staff = browser.new_page()
    sign_in(staff, base, apply.intake.user.email)
    staff.goto(f"{base}/forms/")
    with staff.expect_navigation():
        staff.click("a:has-text('Review')")
    assert "marisol@example.com" in staff.content()
    with staff.expect_download() as download_info:
        staff.click(f"[data-upload='{upload.public_id}'] a")
    assert download_info.value.suggested_filename == "medical-records.pdf"
    with staff.expect_navigation():
        staff.click("button:has-text('Approve')")
    staff.wait_for_url(f"**/surrogates/{apply.surrogate.public_id}/")
    assert "Marisol Browser" in staff.locator("h1").inner_text()
    assert "marisol@example.com" in staff.locator("#profile").inner_text()
    staff.screenshot(path=os.path.join(os.environ.get("E2E_ARTIFACTS", "var"), "e2e-application-approved.png"))

    with org_scope(apply.org):
        surrogate = Surrogate.objects.get(pk=apply.surrogate.pk)
    assert surrogate.full_name == "Marisol Browser" and surrogate.date_of_birth.isoformat() == "1991-07-14"
