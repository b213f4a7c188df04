"""CSV import: preview with mapping and problems, a run with good and bad rows, the command."""
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from surrogates import services
from surrogates.models import ImportJob, Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.django_db

MIXED = (
    "First Name,Last Name,Email,Phone,Stage,DOB,Favourite colour\n"
    "Ada,Good,ada@example.com,555-010-1000,Contacted,1990-04-02,green\n"
    "Bea,Bad,not-an-email,,,,blue\n"
    "Cam,Dupe,existing@example.com,,,,red\n"
    "Dee,Stage,dee@example.com,,Moon base,,\n"
    "Eve,Fine,eve@example.com,+1 555 010 2000,qualified,04/05/1991,\n"
    ",,nobody@example.com,,,,\n"
    "Fay,Again,ada@example.com,,,,\n"
    "Gus,Phone,gus@example.com,call me,,,\n"
)


def upload(client, content: bytes, name="leads.csv"):
    return client.post("/surrogates/import/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


@pytest.fixture
def existing(world):
    with org_scope(world.org_a):
        return services.surrogate_create(
            membership=world.member(world.org_a, Role.ADMIN), full_name="Existing", email="Existing@example.com"
        )


def test_preview_then_run_with_mixed_rows(client, world, existing, django_capture_on_commit_callbacks):
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    response = upload(client, MIXED.encode())
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Favourite colour" in page and "ignored" in page
    assert "bad email" in page
    assert f"duplicate of active record {existing.surrogate_number}" in page
    assert "unknown stage “Moon base”" in page
    assert "same email as row 2" in page
    with org_scope(world.org_a):
        job = ImportJob.objects.get()
        assert Surrogate.objects.count() == 1  # the preview wrote nothing
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # the Celery task, eager in tests
        client.post(f"/surrogates/import/{job.public_id}/start/")
    assert len(callbacks) == 1
    page = client.get(f"/surrogates/import/{job.public_id}/").content.decode()
    with org_scope(world.org_a):
        job.refresh_from_db()
        names = set(Surrogate.objects.values_list("full_name", flat=True))
        ada = Surrogate.objects.select_related("stage").get(full_name="Ada Good")
    assert job.state == "done"
    assert (job.created_count, job.skipped_count, job.failed_count) == (2, 2, 4)
    assert names == {"Existing", "Ada Good", "Eve Fine"}
    assert ada.stage.key == "contacted" and ada.source == "import" and ada.owner_queue.name == "Unassigned"
    assert "Created <strong>2</strong>, skipped <strong>2</strong>, failed <strong>4</strong>" in page
    reasons = {r["row"]: r["reason"] for r in job.results if r["outcome"] != "created"}
    assert "phone" in reasons[9].lower()
    assert "ada@example.com" not in str(job.results)  # reasons never repeat the values
    # A second start is refused politely.
    again = client.post(f"/surrogates/import/{job.public_id}/start/", follow=True)
    assert "already been started" in again.content.decode()


def test_progress_endpoint(client, world):
    login(client, world.member(world.org_a, Role.ADMIN))
    response = upload(client, b"name,email\nZed One,zed@example.com\n")
    job_url = response["Location"]
    data = client.get(job_url + "progress/").json()
    assert data["state"] == "preview" and data["total"] == 1 and data["done"] is False


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"\x00\x01\x02PK binary", "binary"),
        (b"email,phone\nx@example.com,1\n", "No name column"),
        (b"name,email\n", "no data rows"),
        (b'name,email\n"unterminated,x@example.com\n', "malformed"),
        ("name\nJos\u00e9\n".encode("utf-16"), "binary"),
    ],
)
def test_malformed_files_get_a_clear_message(client, world, content, message):
    login(client, world.member(world.org_a, Role.ADMIN))
    response = upload(client, content)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_files_over_10_mb_are_refused(client, world):
    login(client, world.member(world.org_a, Role.ADMIN))
    big = b"name\n" + b"x" * (10 * 1024 * 1024)
    response = upload(client, big)
    assert response.status_code == 400 and "larger than 10 MB" in response.content.decode()


def test_intake_cannot_import(client, world):
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    assert client.get("/surrogates/import/").status_code == 403


def test_command_imports_with_a_progress_bar(tmp_path, world, existing, capsys):
    path = tmp_path / "leads.csv"
    path.write_text(MIXED)
    out = io.StringIO()
    call_command("import_surrogates", str(path), "--org", "agency-a", stdout=out)
    text = out.getvalue()
    assert "Created 2, skipped 2, failed 4." in text
    assert "row 3: failed (bad email)" in text
    assert "8/8" in capsys.readouterr().err
    with org_scope(world.org_a):
        assert Surrogate.objects.filter(full_name="Eve Fine").exists()


def test_command_refuses_a_malformed_file_clearly(tmp_path, world):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"email\nx@example.com\n")
    with pytest.raises(CommandError, match="No name column"):
        call_command("import_surrogates", str(path), "--org", "agency-a", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_surrogates", str(tmp_path / "missing.csv"), "--org", "agency-a")
