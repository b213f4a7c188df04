import pytest
from django.urls import reverse

from surrogates import services
from surrogates.models import Note
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def notes_url(surrogate):
    return reverse("surrogates:note-add", args=[surrogate.public_id])


def test_add_note_stores_sanitised_html_and_redirects(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    response = login(client, case).post(
        notes_url(surrogate), {"body": '<p>Called <strong>twice</strong></p><script>alert(1)</script>'}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("surrogates:detail", args=[surrogate.public_id])
    with org_scope(world.org_a):
        note = Note.objects.get()
    assert note.body_html == "<p>Called <strong>twice</strong></p>"
    assert (note.surrogate_id, note.author) == (surrogate.pk, case.user)


@pytest.mark.parametrize("body", ["", "   ", "<script>alert(1)</script>"])
def test_empty_note_is_a_form_error(client, world, body):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    response = login(client, case).post(notes_url(surrogate), {"body": body})
    assert response.status_code == 400
    with org_scope(world.org_a):
        assert not Note.objects.exists()


def test_outsider_gets_404_and_nothing_changes(client, world):
    theirs = make(world.member(world.org_b, Role.ADMIN))
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(notes_url(theirs), {"body": "hi"})
    assert response.status_code == 404
    with org_scope(world.org_b):
        assert not Note.objects.exists()


def test_intake_specialist_gets_404_for_another_owners_surrogate(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin, owner=admin.user)
    response = login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST)).post(notes_url(surrogate), {"body": "hi"})
    assert response.status_code == 404
    with org_scope(world.org_a):
        assert not Note.objects.exists()
