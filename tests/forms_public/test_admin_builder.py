"""The form builder in /admin/: an org admin adds a form with inline fields and publishes it."""
import pytest

from forms_public.models import Form
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def _post(fields):
    data = {
        "name": "Quick screen", "intro": "", "max_file_size_mb": "10", "max_file_count": "5",
        "allowed_file_types": ["pdf", "png"],
        "fields-TOTAL_FORMS": str(len(fields)), "fields-INITIAL_FORMS": "0",
        "fields-MIN_NUM_FORMS": "0", "fields-MAX_NUM_FORMS": "1000", "_publish": "Save and publish",
    }
    for i, (key, label, kind, options, maps_to) in enumerate(fields):
        data.update({f"fields-{i}-page": "1", f"fields-{i}-order": str(i), f"fields-{i}-key": key,
                     f"fields-{i}-label": label, f"fields-{i}-field_type": kind, f"fields-{i}-required": "on",
                     f"fields-{i}-options": options, f"fields-{i}-help_text": "", f"fields-{i}-maps_to": maps_to})
    return data


def test_org_admin_builds_and_publishes_a_form(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    login(client, admin)
    assert client.get("/admin/forms_public/form/add/").status_code == 200
    response = client.post("/admin/forms_public/form/add/", _post([
        ("name", "Your name", "text", "", "full_name"),
        ("state", "State", "select", "Ohio\nUtah", ""),
        ("id_doc", "Photo ID", "file", "", ""),
    ]))
    assert response.status_code == 302
    with org_scope(world.org_a):
        form = Form.objects.get()
        assert form.organization == world.org_a and form.fields.count() == 3
        version = form.published_version
        assert version.number == 1
        assert version.schema["limits"] == {"max_file_size_mb": 10, "max_file_count": 5, "allowed_types": ["pdf", "png"]}
        assert [f["key"] for f in version.schema["pages"][0]["fields"]] == ["name", "state", "id_doc"]
    with org_scope(world.org_b):
        assert not Form.objects.exists()


def test_publishing_refuses_a_broken_form_with_a_clear_message(client, world):
    login(client, world.member(world.org_a, Role.ADMIN))
    response = client.post("/admin/forms_public/form/add/", _post([
        ("state", "State", "select", "", ""),  # no options
        ("mail", "Email", "text", "", "email"),  # text cannot feed the email field
    ]), follow=True)
    content = response.content.decode()
    assert "was not published" in content and "needs at least one option" in content
    with org_scope(world.org_a):
        assert Form.objects.get().published_version is None


def test_intake_specialists_cannot_open_the_builder(client, world):
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    assert client.get("/admin/forms_public/form/add/").status_code in (302, 403)
