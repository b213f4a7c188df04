"""Every upload is scanned by the real clamd (INSTREAM) before anyone can open it.

EICAR in a file, inside a zip-based document and disguised as a PDF is never stored as clean;
clean files pass; with clamd unreachable the file stays pending (submission kept) and a later
rescan marks it clean.
"""
import socket

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from forms_public.models import Submission
from forms_public.uploads import clamd, storage
from forms_public.uploads.models import Upload
from forms_public.uploads.tasks import rescan_pending_uploads, scan_upload
from tenants.models import ActivityEvent
from tenants.scope import org_scope
from tests.forms_public.conftest import docx_bytes, eicar, pdf_bytes, valid_answers

pytestmark = [pytest.mark.postgres, pytest.mark.clamd]


def _submit(client, apply, upload, capture):
    with capture(execute=True):
        response = client.post(apply.url, {**valid_answers(), "records": upload})
    return response


def _closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"  # nothing listens once the socket is closed


def test_the_client_talks_to_clamd(settings):
    assert clamd.ping(settings.CLAMAV_ADDRESS)
    assert clamd.scan_stream(__import__("io").BytesIO(b"hello"), address=settings.CLAMAV_ADDRESS).clean
    result = clamd.scan_stream(__import__("io").BytesIO(eicar()), address=settings.CLAMAV_ADDRESS)
    assert result.infected and "EICAR" in result.signature


def test_a_clean_pdf_is_marked_clean(client, apply_a, django_capture_on_commit_callbacks):
    response = _submit(client, apply_a, SimpleUploadedFile("ok.pdf", pdf_bytes(), "application/pdf"),
                       django_capture_on_commit_callbacks)
    assert response.status_code == 200
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    assert upload.scan_state == "clean" and upload.scanned_at is not None
    assert storage.path_for(upload.storage_name).exists()


def test_eicar_in_a_pdf_is_infected_deleted_and_the_owner_told(client, apply_a, django_capture_on_commit_callbacks):
    response = _submit(client, apply_a, SimpleUploadedFile("records.pdf", pdf_bytes(eicar()), "application/pdf"),
                       django_capture_on_commit_callbacks)
    assert response.status_code == 200  # the submission itself is kept
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
        assert Submission.objects.count() == 1
        assert upload.scan_state == "infected" and "EICAR" in upload.scan_detail
        assert upload.storage_name == ""
        assert ActivityEvent.objects.filter(action="upload.infected").count() == 1
    assert not any(storage.root().rglob("*")) or all(p.is_dir() for p in storage.root().rglob("*"))
    assert [m.to for m in mail.outbox] == [[apply_a.intake.user.email]]
    assert "S" in mail.outbox[0].body and "rosa" not in mail.outbox[0].body.lower()


def test_eicar_inside_a_docx_is_infected(client, apply_a, django_capture_on_commit_callbacks):
    document = docx_bytes(b"<w:document>" + eicar() + b"</w:document>")
    upload = SimpleUploadedFile("letter.docx", document, "application/octet-stream")
    assert _submit(client, apply_a, upload, django_capture_on_commit_callbacks).status_code == 200
    with org_scope(apply_a.org):
        stored = Upload.objects.get()
    assert stored.kind == "docx" and stored.scan_state == "infected"


def test_bare_eicar_renamed_to_pdf_is_refused_and_never_stored(client, apply_a, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("records.pdf", eicar(), "application/pdf")
    response = _submit(client, apply_a, upload, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    with org_scope(apply_a.org):
        assert not Upload.objects.exists()


def test_nothing_infected_is_ever_clean(client, apply_a, django_capture_on_commit_callbacks):
    with org_scope(apply_a.org):
        assert not Upload.objects.filter(scan_state="clean").exists()
    for upload in (
        SimpleUploadedFile("a.pdf", pdf_bytes(eicar()), "application/pdf"),
        SimpleUploadedFile("b.docx", docx_bytes(eicar()), "application/octet-stream"),
    ):
        _, token = apply_a.new_link()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/apply/{token}/", {**valid_answers(), "records": upload})
    with org_scope(apply_a.org):
        assert sorted(Upload.objects.values_list("scan_state", flat=True)) == ["infected", "infected"]


def test_scanner_down_keeps_the_submission_pending_and_a_rescan_marks_it_clean(
    client, apply_a, django_capture_on_commit_callbacks, settings
):
    real = settings.CLAMAV_ADDRESS
    settings.CLAMAV_ADDRESS = _closed_port()
    response = _submit(client, apply_a, SimpleUploadedFile("ok.pdf", pdf_bytes(), "application/pdf"),
                       django_capture_on_commit_callbacks)
    assert response.status_code == 200
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
        assert Submission.objects.count() == 1
    assert upload.scan_state == "pending" and upload.scan_attempts == 1 and upload.next_scan_at is not None
    assert "unavailable" in upload.scan_detail

    # Staff see "awaiting scan" and cannot download it.
    from tests.conftest import login

    login(client, apply_a.intake)
    page = client.get(f"/surrogates/{apply_a.surrogate.public_id}/")
    assert b"awaiting scan" in page.content
    assert client.get(f"/forms/files/{upload.public_id}/download/").status_code == 409

    # The sweep skips it until its backoff has passed ...
    assert rescan_pending_uploads() == 0
    # ... then, with clamd back, the rescan marks it clean.
    settings.CLAMAV_ADDRESS = real
    with org_scope(apply_a.org):
        Upload.objects.filter(pk=upload.pk).update(next_scan_at=None)
    assert rescan_pending_uploads() == 1
    with org_scope(apply_a.org):
        upload.refresh_from_db()
    assert upload.scan_state == "clean"
    assert client.get(f"/forms/files/{upload.public_id}/download/").status_code == 200


def test_scan_task_gives_up_as_error_after_the_attempt_cap(apply_a, settings, django_capture_on_commit_callbacks, client):
    from forms_public.uploads.services import MAX_SCAN_ATTEMPTS

    settings.CLAMAV_ADDRESS = _closed_port()
    _submit(client, apply_a, SimpleUploadedFile("ok.pdf", pdf_bytes(), "application/pdf"),
            django_capture_on_commit_callbacks)
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    for _ in range(MAX_SCAN_ATTEMPTS):
        scan_upload.apply(kwargs={"organization_id": apply_a.org.pk, "upload_id": upload.pk})
    with org_scope(apply_a.org):
        upload.refresh_from_db()
    assert upload.scan_state == "error" and upload.scan_attempts == MAX_SCAN_ATTEMPTS


def test_a_real_clamd_restart_is_survived(client, apply_a, django_capture_on_commit_callbacks, settings, tmp_path):
    """Stop our own clamd for real (a second instance on its own port), then bring it back."""
    import shutil
    import subprocess
    import time
    from pathlib import Path

    clamd_bin = shutil.which("clamd") or "/usr/sbin/clamd"
    port = int(_closed_port().rsplit(":", 1)[1])
    repo = Path(__file__).resolve().parents[2]
    conf = tmp_path / "clamd.conf"
    conf.write_text(
        f"TCPSocket {port}\nTCPAddr 127.0.0.1\nDatabaseDirectory {repo / '.ci' / 'clamav'}\n"
        f"PidFile {tmp_path / 'clamd.pid'}\nLogFile {tmp_path / 'clamd.log'}\nForeground no\n"
        f"TemporaryDirectory {tmp_path}\n" + ("User root\n" if __import__("os").getuid() == 0 else "")
    )
    settings.CLAMAV_ADDRESS = f"127.0.0.1:{port}"
    _submit(client, apply_a, SimpleUploadedFile("ok.pdf", pdf_bytes(), "application/pdf"),
            django_capture_on_commit_callbacks)
    with org_scope(apply_a.org):
        upload = Upload.objects.get()
    assert upload.scan_state == "pending"  # nothing listens on that port yet

    subprocess.run([clamd_bin, f"--config-file={conf}"], check=True, timeout=60)
    try:
        for _ in range(120):
            if clamd.ping(settings.CLAMAV_ADDRESS):
                break
            time.sleep(0.25)
        scan_upload.apply(kwargs={"organization_id": apply_a.org.pk, "upload_id": upload.pk})
    finally:
        pid = int((tmp_path / "clamd.pid").read_text().strip())
        __import__("os").kill(pid, 15)
    with org_scope(apply_a.org):
        upload.refresh_from_db()
    assert upload.scan_state == "clean"
