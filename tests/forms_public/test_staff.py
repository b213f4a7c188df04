"""Staff side: links, review queue (approve applies mapped answers, reject needs a note), staff
attachments through the same pipeline, downloads (headers, scan gate, other orgs get 404)."""
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from forms_public.models import ApplicationLink, Submission
from forms_public.uploads import detect, storage
from forms_public.uploads.detect import UploadRejected
from forms_public.uploads.models import Upload
from surrogates.models import Surrogate
from tenants.models import ActivityEvent
from tenants.scope import org_scope
from tests.conftest import login
from tests.forms_public.conftest import jpeg_with_exif, pdf_bytes, valid_answers

pytestmark = pytest.mark.postgres


@pytest.fixture(autouse=True)
def no_scanner(settings):
    settings.VIRUS_SCAN_ENABLED = False  # dev mode: files are marked clean unscanned; clamd has its own tests


def _submitted(client, apply, capture, **answers):
    with capture(execute=True):
        response = client.post(apply.url, {**valid_answers(**answers),
                                           "records": SimpleUploadedFile("r.pdf", pdf_bytes(), "application/pdf")})
    assert response.status_code == 200
    with org_scope(apply.org):
        return Submission.objects.select_related("surrogate").get(link=apply.link)


def test_coordinator_issues_a_link_from_the_surrogate_page(client, apply_a):
    login(client, apply_a.intake)
    page = client.get(f"/surrogates/{apply_a.surrogate.public_id}/")
    assert b"Create application link" in page.content
    response = client.post(f"/forms/surrogates/{apply_a.surrogate.public_id}/links/",
                           {"form": apply_a.form.pk, "days": 30})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    url = response.content.decode().split('data-testid="apply-url" aria-label="Application link"')[0]
    token = url.rsplit("/apply/", 1)[1].split("/")[0]
    assert len(token) == 43
    assert client.get(f"/apply/{token}/").status_code == 200
    with org_scope(apply_a.org):
        link = ApplicationLink.objects.order_by("-id").first()
        assert 29 <= (link.expires_at - link.created_at).days <= 30


@pytest.mark.parametrize("days", [0, 61, "x"])
def test_link_expiry_must_be_1_to_60_days(client, apply_a, days):
    login(client, apply_a.intake)
    response = client.post(f"/forms/surrogates/{apply_a.surrogate.public_id}/links/", {"form": apply_a.form.pk, "days": days})
    assert response.status_code == 302
    with org_scope(apply_a.org):
        assert ApplicationLink.objects.count() == 1  # only the fixture's


def test_revoked_link_is_404(client, apply_a):
    login(client, apply_a.intake)
    assert client.post(f"/forms/links/{apply_a.link.public_id}/revoke/").status_code == 302
    client.logout()
    assert client.get(apply_a.url).status_code == 404


def test_approve_applies_mapped_answers_and_is_audited(client, apply_a, django_capture_on_commit_callbacks):
    submission = _submitted(client, apply_a, django_capture_on_commit_callbacks)
    login(client, apply_a.intake)
    queue = client.get("/forms/")
    assert str(submission.public_id).encode() in queue.content
    detail = client.get(f"/forms/submissions/{submission.public_id}/")
    assert b"rosa@example.com" in detail.content and b"Approve" in detail.content
    response = client.post(f"/forms/submissions/{submission.public_id}/approve/")
    assert response.status_code == 302
    with org_scope(apply_a.org):
        surrogate = Surrogate.objects.get(pk=apply_a.surrogate.pk)
        assert surrogate.full_name == "Rosa Applicant" and surrogate.email == "rosa@example.com"
        assert surrogate.phone == "+1 555 010 2233" and surrogate.date_of_birth.isoformat() == "1992-04-05"
        assert Submission.objects.get(pk=submission.pk).status == "approved"
        event = ActivityEvent.objects.get(action="application.approved")
        assert event.actor == apply_a.intake.user
        assert event.data["applied"] == ["date_of_birth", "email", "full_name", "phone"]
        assert "rosa" not in str(event.data).lower()
    assert client.post(f"/forms/submissions/{submission.public_id}/approve/").status_code == 400  # already decided


def test_reject_needs_a_note(client, apply_a, django_capture_on_commit_callbacks):
    submission = _submitted(client, apply_a, django_capture_on_commit_callbacks)
    login(client, apply_a.intake)
    assert client.post(f"/forms/submissions/{submission.public_id}/reject/", {"note": ""}).status_code == 400
    assert client.post(f"/forms/submissions/{submission.public_id}/reject/", {"note": "Duplicate"}).status_code == 302
    with org_scope(apply_a.org):
        rejected = Submission.objects.get(pk=submission.pk)
        assert rejected.status == "rejected" and rejected.review_note == "Duplicate"
        assert Surrogate.objects.get(pk=apply_a.surrogate.pk).full_name == "Applicant Placeholder"


def test_download_headers(client, apply_a, django_capture_on_commit_callbacks):
    _submitted(client, apply_a, django_capture_on_commit_callbacks)
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    login(client, apply_a.intake)
    response = client.get(f"/forms/files/{upload.public_id}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;") and "r.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_another_orgs_staff_cannot_download(client, world, apply_a, django_capture_on_commit_callbacks):
    _submitted(client, apply_a, django_capture_on_commit_callbacks)
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
        submission = Submission.objects.get()
    from tenants.models import Role

    login(client, world.member(world.org_b, Role.ADMIN))
    assert client.get(f"/forms/files/{upload.public_id}/download/").status_code == 404
    assert client.get(f"/forms/submissions/{submission.public_id}/").status_code == 404
    assert client.post(f"/forms/submissions/{submission.public_id}/approve/").status_code == 404
    assert client.post(f"/forms/links/{apply_a.link.public_id}/revoke/").status_code == 404


def test_a_tampered_file_is_not_served(client, apply_a, django_capture_on_commit_callbacks):
    _submitted(client, apply_a, django_capture_on_commit_callbacks)
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    storage.path_for(upload.storage_name).write_bytes(b"%PDF-1.4 swapped")
    login(client, apply_a.intake)
    assert client.get(f"/forms/files/{upload.public_id}/download/").status_code == 409


def test_files_are_stored_outside_static_under_random_names(client, apply_a, django_capture_on_commit_callbacks, settings):
    _submitted(client, apply_a, django_capture_on_commit_callbacks)
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    path = storage.path_for(upload.storage_name)
    assert path.is_file() and "r.pdf" not in str(path) and len(path.name) == 40
    assert str(settings.STATIC_ROOT) not in str(path)
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_staff_attach_strips_exif_and_uses_the_pipeline(client, apply_a, django_capture_on_commit_callbacks):
    login(client, apply_a.intake)
    photo = SimpleUploadedFile("id-card.jpg", jpeg_with_exif(), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/forms/surrogates/{apply_a.surrogate.public_id}/files/", {"file": photo})
    assert response.status_code == 302
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    assert upload.uploaded_by == apply_a.intake.user and upload.kind == "jpeg"
    data = storage.path_for(upload.storage_name).read_bytes()
    assert b"SecretCameraMaker" not in data
    assert not Image.open(io.BytesIO(data)).getexif()


def test_staff_attach_refuses_wrong_content_and_oversize(client, apply_a):
    login(client, apply_a.intake)
    fake = SimpleUploadedFile("notes.pdf", b"<html><script>x</script>", "application/pdf")
    response = client.post(f"/forms/surrogates/{apply_a.surrogate.public_id}/files/", {"file": fake}, follow=True)
    assert "not a file type we accept" in response.content.decode()
    big = client.generic("POST", f"/forms/surrogates/{apply_a.surrogate.public_id}/files/", b"x",
                         content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(40 * 1024 * 1024))
    assert big.status_code == 413
    with org_scope(apply_a.org):
        assert not Upload.objects.exists()


def test_intake_cannot_see_someone_elses_surrogate_files(client, world, apply_a):
    from surrogates.services import surrogate_create
    from tenants.models import Role

    with org_scope(apply_a.org):
        other = surrogate_create(membership=apply_a.admin, full_name="Not Yours", owner=world.member(apply_a.org, Role.CASE_MANAGER).user)
    login(client, apply_a.intake)
    photo = SimpleUploadedFile("a.pdf", pdf_bytes(), "application/pdf")
    assert client.post(f"/forms/surrogates/{other.public_id}/files/", {"file": photo}).status_code == 404


# --- Content checks (no HTTP) -------------------------------------------------------------------


def _zip(entries, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    out.seek(0)
    return out


def test_zip_bomb_is_refused():
    bomb = _zip([("[Content_Types].xml", "<Types/>"), ("word/document.xml", b"\0" * (120 * 1024 * 1024))])
    with pytest.raises(UploadRejected, match="too much data"):
        detect.detect_kind(bomb)


def test_too_many_entries_is_refused():
    many = _zip([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "x")]
                + [(f"x/{i}", "") for i in range(detect.ZIP_MAX_ENTRIES)])
    with pytest.raises(UploadRejected, match="too many parts"):
        detect.detect_kind(many)


def test_macro_documents_and_plain_zips_are_refused():
    with pytest.raises(UploadRejected, match="macros"):
        detect.detect_kind(_zip([("[Content_Types].xml", "<T/>"), ("word/document.xml", "x"), ("word/vbaProject.bin", "x")]))
    with pytest.raises(UploadRejected, match="not a document"):
        detect.detect_kind(_zip([("readme.txt", "hello")]))


def test_kinds_are_detected_from_content():
    assert detect.detect_kind(io.BytesIO(pdf_bytes())) == "pdf"
    assert detect.detect_kind(io.BytesIO(jpeg_with_exif())) == "jpeg"
    assert detect.detect_kind(_zip([("[Content_Types].xml", "<T/>"), ("xl/workbook.xml", "<w/>")])) == "xlsx"
