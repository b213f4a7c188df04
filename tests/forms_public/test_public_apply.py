"""GET/POST /apply/<token>/: same 404 for every bad token, server-side validation, single use,
body caps, rate limits and private-page headers."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from forms_public.models import ApplicationLink, Submission
from forms_public.uploads.models import Upload
from tenants.scope import org_scope
from tests.forms_public.conftest import docx_bytes, hash_token, pdf_bytes, valid_answers

pytestmark = pytest.mark.postgres


def _file(name="records.pdf", content=None, content_type="application/pdf"):
    return SimpleUploadedFile(name, content if content is not None else pdf_bytes(), content_type=content_type)


def test_get_renders_the_form_with_private_headers(client, apply_a):
    response = client.get(apply_a.url)
    assert response.status_code == 200
    assert b"Intake application" in response.content and b'name="records"' in response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert b'enctype="multipart/form-data"' in response.content


def test_token_is_256_bits_and_only_its_hash_is_stored(apply_a):
    assert len(apply_a.token) == 43
    with org_scope(apply_a.org):
        stored = ApplicationLink.objects.get(pk=apply_a.link.pk)
    assert stored.token_hash == hash_token(apply_a.token) and apply_a.token not in stored.token_hash


def _bad_links(apply):
    unknown = "A" * 43
    expired_link, expired = apply.new_link()
    revoked_link, revoked = apply.new_link()
    with org_scope(apply.org):
        ApplicationLink.objects.filter(pk=expired_link.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
        ApplicationLink.objects.filter(pk=revoked_link.pk).update(revoked_at=timezone.now())
    return [unknown, expired, revoked]


def test_unknown_expired_and_revoked_tokens_get_the_same_404(client, apply_a):
    bodies = set()
    for token in _bad_links(apply_a):
        response = client.get(f"/apply/{token}/")
        assert response.status_code == 404
        assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
        bodies.add(response.content)
    assert len(bodies) == 1


def test_a_valid_submission_is_stored_and_the_link_is_spent(client, apply_a, django_capture_on_commit_callbacks, settings):
    settings.VIRUS_SCAN_ENABLED = False  # scanning has its own tests (test_scanning.py)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(apply_a.url, {**valid_answers(), "records": _file()})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert b"Thank you" in response.content
    assert response["Cache-Control"] == "no-store"
    with org_scope(apply_a.org):
        submission = Submission.objects.get()
        assert submission.surrogate == apply_a.surrogate and submission.status == "pending"
        assert submission.answers["email"] == "rosa@example.com"
        assert submission.answers["address"] == {"street": "1 Main St", "city": "Columbus", "state": "OH", "postal_code": "43004"}
        with connection.cursor() as cursor:
            cursor.execute("SELECT answers_json FROM forms_public_submission")
            assert "rosa@example.com" not in cursor.fetchone()[0]  # encrypted at rest
        upload = Upload.objects.get()
        assert upload.submission == submission and upload.kind == "pdf" and len(upload.sha256) == 64
        assert ApplicationLink.objects.get(pk=apply_a.link.pk).used_at is not None
    # Single use: the same token is now a 404, for GET and POST alike.
    assert client.get(apply_a.url).status_code == 404
    assert client.post(apply_a.url, valid_answers()).status_code == 404


def test_invalid_answers_rerender_with_errors_and_keep_the_answers(client, apply_a):
    response = client.post(
        apply_a.url,
        valid_answers(email="not-an-email", phone="12", dob="1992-13-45", state="Mars", consent=None, pregnancies="x"),
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="Rosa Applicant"' in content  # kept
    for key in ("email", "phone", "dob", "state", "consent", "pregnancies"):
        assert f'data-field="{key}"' in content
    assert content.count('class="errors" role="alert"') >= 6
    with org_scope(apply_a.org):
        assert not Submission.objects.exists()
        assert ApplicationLink.objects.get(pk=apply_a.link.pk).used_at is None  # not spent


def test_wrong_type_by_content_is_a_form_error(client, apply_a):
    cases = [
        _file("records.pdf", b"MZ\x90\x00 this is a windows executable", "application/pdf"),
        _file("records.pdf", docx_bytes(), "application/pdf"),  # a real docx named .pdf
        _file("records.docx", pdf_bytes(), "application/octet-stream"),  # a real pdf named .docx
        _file("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
        _file("page.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ]
    for upload in cases:
        response = client.post(apply_a.url, {**valid_answers(), "records": upload})
        assert response.status_code == 400, upload.name
        assert 'data-field="records"' in response.content.decode()
    with org_scope(apply_a.org):
        assert not Upload.objects.exists() and not Submission.objects.exists()


def test_declared_type_contradicting_the_content_is_a_form_error(client, apply_a):
    response = client.post(apply_a.url, {**valid_answers(), "records": _file("records.pdf", pdf_bytes(), "image/png")})
    assert response.status_code == 400
    assert "its content is a PDF" in response.content.decode()


def test_a_file_over_the_form_limit_is_a_form_error(client, world):
    from tests.forms_public.conftest import Apply

    apply = Apply(world, world.org_a)
    with org_scope(apply.org):
        apply.form.max_file_size_mb = 1
        apply.form.save()
        from forms_public import services

        services.form_publish(membership=apply.admin, form=apply.form)
        apply.form.refresh_from_db()
    link, token = apply.new_link()
    big = _file("big.pdf", pdf_bytes(size=1024 * 1024 + 10))
    response = client.post(f"/apply/{token}/", {**valid_answers(), "records": big})
    assert response.status_code == 400
    assert "larger than the 1 MB limit" in response.content.decode()


def test_a_body_over_the_limit_gets_413_before_anything_is_read(client, apply_a):
    # 10 files x 10 MB + 1 MB is the cap for this form; claim more than that.
    response = client.generic(
        "POST", apply_a.url, b"x" * 10, content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(102 * 1024 * 1024),
    )
    assert response.status_code == 413
    assert response["Cache-Control"] == "no-store"
    with org_scope(apply_a.org):
        assert ApplicationLink.objects.get(pk=apply_a.link.pk).used_at is None


def test_too_much_form_data_is_413_not_500(client, apply_a, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post(apply_a.url, valid_answers(about="y" * 5000))
    assert response.status_code == 413


def test_too_many_files_is_a_form_error(client, world):
    from tests.forms_public.conftest import Apply

    apply = Apply(world, world.org_a)
    with org_scope(apply.org):
        apply.form.max_file_count = 2
        apply.form.save()
        from forms_public import services

        services.form_publish(membership=apply.admin, form=apply.form)
        apply.form.refresh_from_db()
    link, token = apply.new_link()
    files = [_file(f"r{i}.pdf") for i in range(3)]
    response = client.post(f"/apply/{token}/", {**valid_answers(), "records": files})
    assert response.status_code == 400
    assert "at most 2 files" in response.content.decode()


def test_submissions_validate_against_the_frozen_copy(client, apply_a):
    """Editing the draft after publishing changes nothing for links already issued."""
    from forms_public.models import FormField

    with org_scope(apply_a.org):
        FormField.objects.filter(form=apply_a.form, key="state").update(options="Nevada")
        FormField.objects.create(organization=apply_a.org, form=apply_a.form, key="extra", label="Extra",
                                 field_type="text", required=True)
    response = client.get(apply_a.url)
    assert b"Ohio" in response.content and b'name="extra"' not in response.content


def test_get_is_rate_limited_at_60_per_minute(client, apply_a):
    statuses = [client.get(apply_a.url).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    response = client.get(apply_a.url)
    assert response["Retry-After"] and response["Cache-Control"] == "no-store"


def test_post_is_rate_limited_at_10_per_minute_even_for_unknown_tokens(client, apply_a):
    statuses = [client.post(f"/apply/{'B' * 43}/", {}).status_code for _ in range(11)]
    assert statuses[:10] == [404] * 10
    assert statuses[10] == 429
    # The bucket is per client IP: another address still gets through.
    assert client.post(apply_a.url, {}, REMOTE_ADDR="203.0.113.9").status_code == 400


def test_a_browser_post_with_origin_null_is_accepted(apply_a, settings):
    """no-referrer makes browsers send Origin: null; the URL's token, not a CSRF cookie, guards the POST."""
    from django.test import Client

    settings.VIRUS_SCAN_ENABLED = False
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(apply_a.url, valid_answers(), HTTP_ORIGIN="null")
    assert response.status_code == 200
    assert "csrftoken" not in response.cookies
