import pytest
from django.urls import reverse

from surrogates import services
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.pii import email_hash
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def refreshed(surrogate):
    with org_scope(surrogate.organization):
        return Surrogate.objects.get(pk=surrogate.pk)


def edit_url(surrogate):
    return reverse("surrogates:edit", args=[surrogate.public_id])


FORM = {"full_name": "Jane Doe", "email": "", "phone": "", "date_of_birth": "", "source": "manual", "priority": "normal"}


def test_form_is_prefilled_with_decrypted_values(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin, email="jane@mail.example.com")
    response = login(client, admin).get(edit_url(surrogate))
    assert response.status_code == 200
    assert 'value="jane@mail.example.com"' in response.content.decode()


def test_edit_saves_changes_and_rehashes_email(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin, email="old@mail.example.com")
    response = login(client, admin).post(
        edit_url(surrogate), {**FORM, "full_name": "Jane Smith", "email": "new@mail.example.com", "priority": "urgent"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("surrogates:detail", args=[surrogate.public_id])
    after = refreshed(surrogate)
    assert (after.full_name, after.email, after.priority) == ("Jane Smith", "new@mail.example.com", "urgent")
    assert after.email_hash == email_hash("new@mail.example.com")


def test_invalid_edit_is_a_400_and_changes_nothing(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    response = login(client, admin).post(edit_url(surrogate), {**FORM, "full_name": "", "priority": "extreme"})
    assert response.status_code == 400
    assert refreshed(surrogate).full_name == "Jane Doe"


def test_handing_your_own_surrogate_to_someone_else_goes_back_to_the_list(client, world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(intake)
    response = login(client, intake).post(edit_url(surrogate), {**FORM, "owner": case.user.pk})
    assert response.status_code == 302 and response["Location"] == reverse("surrogates:list")
    assert refreshed(surrogate).owner == case.user


@pytest.mark.parametrize("method", ["get", "post"])
def test_outsider_gets_404_and_nothing_changes(client, world, method):
    theirs = make(world.member(world.org_b, Role.ADMIN))
    response = getattr(login(client, world.member(world.org_a, Role.ADMIN)), method)(
        edit_url(theirs), {**FORM, "full_name": "Hijacked"} if method == "post" else None
    )
    assert response.status_code == 404
    assert refreshed(theirs).full_name == "Jane Doe"


def test_intake_specialist_gets_404_for_another_owners_surrogate(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin, owner=world.member(world.org_a, Role.CASE_MANAGER).user)
    response = login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST)).post(
        edit_url(surrogate), {**FORM, "full_name": "Changed"}
    )
    assert response.status_code == 404
    assert refreshed(surrogate).full_name == "Jane Doe"
