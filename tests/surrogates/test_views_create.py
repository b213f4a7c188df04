import pytest
from django.urls import reverse

from surrogates.models import StatusChange, Surrogate
from tenants.models import ActivityEvent, Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres

CREATE_URL = reverse("surrogates:create")


def test_form_renders(client, world):
    response = login(client, world.member(world.org_a, Role.ADMIN)).get(CREATE_URL)
    assert response.status_code == 200
    assert 'name="full_name"' in response.content.decode()


def test_create_issues_a_number_encrypts_pii_and_redirects_to_detail(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    response = login(client, admin).post(
        CREATE_URL,
        {
            "full_name": "Lily Walker",
            "email": "lily.walker@mail.example.com",
            "phone": "+1 555 010 3333",
            "date_of_birth": "1990-05-06",
            "source": "referral",
            "priority": "high",
            "owner": case.user.pk,
        },
    )
    with org_scope(world.org_a):
        surrogate = Surrogate.objects.select_related("stage").get()
        assert StatusChange.objects.filter(surrogate=surrogate, kind="created").count() == 1
        event = ActivityEvent.objects.get(action="surrogate.created")
    assert response.status_code == 302
    assert response["Location"] == reverse("surrogates:detail", args=[surrogate.public_id])
    assert (surrogate.number, surrogate.stage.key, surrogate.owner, surrogate.source, surrogate.priority) == (
        10001, "new_unread", case.user, "referral", "high",
    )
    assert surrogate.email == "lily.walker@mail.example.com" and surrogate.email_hash
    assert "lily" not in str(event.data).lower()  # no PII in the audit log


def test_missing_name_and_bad_email_are_form_errors(client, world):
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(
        CREATE_URL, {"full_name": "", "email": "not-an-email", "source": "manual", "priority": "normal"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors.keys() >= {"full_name", "email"}
    with org_scope(world.org_a):
        assert not Surrogate.objects.exists()


def test_duplicate_active_email_is_refused_with_the_service_message(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    data = {"full_name": "A", "email": "dup@mail.example.com", "source": "manual", "priority": "normal"}
    login(client, admin)
    assert client.post(CREATE_URL, data).status_code == 302
    response = client.post(CREATE_URL, {**data, "full_name": "B", "email": "DUP@mail.example.com"})
    assert response.status_code == 400
    assert "An active surrogate with this email already exists." in response.content.decode()
    with org_scope(world.org_a):
        assert Surrogate.objects.count() == 1


def test_owner_must_be_a_member_of_this_organization(client, world):
    outsider_user = world.member(world.org_b, Role.CASE_MANAGER).user
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(
        CREATE_URL, {"full_name": "A", "source": "manual", "priority": "normal", "owner": outsider_user.pk}
    )
    assert response.status_code == 400
    assert "owner" in response.context["form"].errors
    with org_scope(world.org_a):
        assert not Surrogate.objects.exists()


def test_intake_specialist_owns_what_they_create_and_sees_it(client, world):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    response = login(client, intake).post(CREATE_URL, {"full_name": "Mine", "source": "manual", "priority": "normal"})
    with org_scope(world.org_a):
        surrogate = Surrogate.objects.get()
    assert surrogate.owner == intake.user
    assert response["Location"] == reverse("surrogates:detail", args=[surrogate.public_id])
