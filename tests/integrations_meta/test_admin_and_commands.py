"""Page mapping in the admin (token write-only, org-scoped), meta_page_token, meta_sign_webhook, demo seed."""
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from integrations.meta import demo
from integrations.meta.models import MetaLead, MetaPage
from integrations.meta.signature import is_valid
from tenants.models import Role
from tenants.scope import org_scope, unscoped
from tests.conftest import login
from tests.integrations_meta.conftest import PAGE_A, PAGE_B, map_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_a(client, world):
    return login(client, world.member(world.org_a, Role.ADMIN))


def _stored_token(page_id):
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM meta_metapage WHERE page_id = %s", [page_id])
        return cursor.fetchone()[0]


def test_admin_adds_a_page_with_a_write_only_token(admin_a, world):
    response = admin_a.post(
        "/admin/meta/metapage/add/",
        {"page_id": PAGE_A, "name": "Agency A on Facebook", "is_active": "on", "new_access_token": "EAAB-secret-token"},
    )
    assert response.status_code == 302, response.content[:2000]
    with org_scope(world.org_a):
        page = MetaPage.objects.get(page_id=PAGE_A)
        assert page.access_token == "EAAB-secret-token"
    assert "EAAB" not in _stored_token(PAGE_A)  # ciphertext at rest
    change = admin_a.get(f"/admin/meta/metapage/{page.pk}/change/")
    assert change.status_code == 200
    assert b"EAAB-secret-token" not in change.content
    listing = admin_a.get("/admin/meta/metapage/")
    assert b"EAAB-secret-token" not in listing.content


def test_admin_leaving_the_token_empty_keeps_it(admin_a, world):
    page = map_page(world.org_a, PAGE_A, token="keep-me")
    response = admin_a.post(
        f"/admin/meta/metapage/{page.pk}/change/", {"page_id": PAGE_A, "name": "Renamed", "is_active": "on", "new_access_token": ""}
    )
    assert response.status_code == 302
    with org_scope(world.org_a):
        page.refresh_from_db()
    assert page.name == "Renamed" and page.access_token == "keep-me"


def test_admin_cannot_see_or_change_another_orgs_page(admin_a, world):
    other = map_page(world.org_b, PAGE_B, token="b-token")
    assert admin_a.get(f"/admin/meta/metapage/{other.pk}/change/").status_code in (302, 404)
    assert PAGE_B.encode() not in admin_a.get("/admin/meta/metapage/").content
    admin_a.post(f"/admin/meta/metapage/{other.pk}/change/", {"page_id": PAGE_B, "name": "Hijacked", "new_access_token": "evil"})
    with org_scope(world.org_b):
        other.refresh_from_db()
    assert other.name == f"Page {PAGE_B}" and other.access_token == "b-token"


def test_admin_lead_list_is_read_only_and_shows_failure_reasons(admin_a, world):
    page = map_page(world.org_a, PAGE_A)
    with org_scope(world.org_a):
        lead = MetaLead.objects.create(
            organization=world.org_a, page=page, leadgen_id="600001", status=MetaLead.Status.FAILED,
            failure_reason="Graph refused the lead lookup: Graph answered 400 (code 190: token expired)",
            field_data={"email": "secret@example.com"},
        )
    listing = admin_a.get("/admin/meta/metalead/")
    assert listing.status_code == 200
    assert b"code 190" in listing.content
    detail = admin_a.get(f"/admin/meta/metalead/{lead.pk}/change/")
    assert detail.status_code == 200 and b"secret@example.com" not in detail.content
    assert admin_a.get("/admin/meta/metalead/add/").status_code == 403


# --- Commands ------------------------------------------------------------------------------------


def test_meta_page_token_reads_the_token_from_stdin(world, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("EAAG-from-stdin\n"))
    out = io.StringIO()
    call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", PAGE_A, "--name", "A page", stdout=out)
    assert "EAAG" not in out.getvalue()
    with org_scope(world.org_a):
        assert MetaPage.objects.get(page_id=PAGE_A).access_token == "EAAG-from-stdin"
    monkeypatch.setattr("sys.stdin", io.StringIO("EAAG-replaced\n"))
    call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", PAGE_A, stdout=out)
    with org_scope(world.org_a):
        page = MetaPage.objects.get(page_id=PAGE_A)
    assert page.access_token == "EAAG-replaced" and page.name == "A page"


def test_meta_page_token_argv_works_with_a_warning(world):
    err = io.StringIO()
    call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", PAGE_A, "--token", "EAAG-argv", stderr=err, stdout=io.StringIO())
    assert "history" in err.getvalue()


def test_meta_page_token_refuses_another_orgs_page_and_bad_input(world, monkeypatch):
    map_page(world.org_b, PAGE_B)
    monkeypatch.setattr("sys.stdin", io.StringIO("tok\n"))
    with pytest.raises(CommandError, match="another organization"):
        call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", PAGE_B)
    with pytest.raises(CommandError, match="numeric"):
        call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", "abc", "--token", "x")
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    with pytest.raises(CommandError, match="No token"):
        call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", PAGE_A)
    with pytest.raises(CommandError, match="No organization"):
        call_command("meta_page_token", "--org", "nope", "--page-id", PAGE_A, "--token", "x")


def test_meta_sign_webhook_writes_a_body_whose_signature_verifies(tmp_path, settings):
    settings.META_APP_SECRET = "sign-me"
    out = io.StringIO()
    target = tmp_path / "hook.json"
    call_command("meta_sign_webhook", "--page-id", PAGE_A, "--leadgen-id", "123", "--out", str(target), stdout=out, stderr=io.StringIO())
    body = target.read_bytes()
    payload = json.loads(body)
    assert payload["object"] == "page"
    assert payload["entry"][0]["changes"][0]["value"]["leadgen_id"] == "123"
    assert is_valid(body, out.getvalue().strip())


def test_demo_pages_and_manifest(world):
    world.org_a.slug = "harbor"  # the demo's slugs decide which page id an org gets
    with org_scope(world.org_a):
        demo.seed_meta(organization=world.org_a)
        demo.seed_meta(organization=world.org_a)  # idempotent
        assert demo.meta_manifest() == {"meta_page_ids": [demo.DEMO_PAGE_IDS["harbor"]]}
    with unscoped():
        assert MetaPage.objects.count() == 1


def test_admin_mapping_a_page_another_org_holds_is_a_form_error_not_a_500(admin_a, world):
    map_page(world.org_b, PAGE_B)
    response = admin_a.post("/admin/meta/metapage/add/", {"page_id": PAGE_B, "name": "Mine?", "new_access_token": "t"})
    assert response.status_code == 200
    assert b"already mapped" in response.content
    response = admin_a.post("/admin/meta/metapage/add/", {"page_id": "12ab", "name": "Bad", "new_access_token": "t"})
    assert response.status_code == 200 and b"numeric" in response.content
    with org_scope(world.org_a):
        assert MetaPage.objects.count() == 0


@pytest.mark.parametrize("page_id", ["\uff11\uff12\uff13", "\u0661\u0662\u0663", "\u00b2"])
def test_page_ids_must_be_ascii_digits_in_the_admin_and_the_command(admin_a, world, page_id):
    response = admin_a.post("/admin/meta/metapage/add/", {"page_id": page_id, "name": "Wide", "new_access_token": "t"})
    assert response.status_code == 200 and b"numeric" in response.content
    with pytest.raises(CommandError, match="numeric"):
        call_command("meta_page_token", "--org", world.org_a.slug, "--page-id", page_id, "--token", "x", stderr=io.StringIO())
    with org_scope(world.org_a):
        assert MetaPage.objects.count() == 0
