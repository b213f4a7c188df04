"""Implausible input is refused with a message, through the pages and the services alike."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from surrogates import services
from surrogates.models import Note, Surrogate, Task
from surrogates.services import SurrogateError
from tenants.models import Role
from tenants.pii import phone_hash
from tenants.scope import org_scope
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.postgres


@pytest.fixture
def case_a(world):
    return world.member(world.org_a, Role.CASE_MANAGER)


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "abc"),
        ("phone", "1" * 30),
        ("date_of_birth", datetime.date(2099, 1, 1)),
        ("date_of_birth", datetime.date(1800, 1, 1)),
    ],
)
def test_implausible_contact_details_are_refused(world, case_a, field, value):
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError):
            services.surrogate_create(membership=case_a, full_name="Odd Input", **{field: value})
        assert not Surrogate.objects.exists()


def test_create_page_shows_the_phone_error_and_keeps_nothing(client, world, case_a):
    response = login(client, case_a).post(
        reverse("surrogates:create"), {"full_name": "Odd Input", "phone": "abc", "source": "manual", "priority": "normal"}
    )
    assert response.status_code == 400
    assert "valid phone number" in response.content.decode()
    with org_scope(world.org_a):
        assert not Surrogate.objects.exists()


@pytest.mark.parametrize("due", [datetime.date(1, 1, 1), datetime.date(9999, 12, 31)])
def test_task_due_dates_far_away_are_refused(world, case_a, due):
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(membership=case_a, full_name="Task Person")
        with pytest.raises(SurrogateError):
            services.task_create(membership=case_a, surrogate=surrogate, title="Call", due_date=due)
        assert not Task.objects.exists()


def test_a_note_with_only_empty_markup_is_refused(world, case_a):
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(membership=case_a, full_name="Note Person")
        with pytest.raises(SurrogateError):
            services.note_add(membership=case_a, surrogate=surrogate, body="<p> </p><br>")
        assert not Note.objects.exists()


def test_phone_written_without_country_code_finds_the_record(client, world, case_a):
    assert phone_hash("555-735-3647") == phone_hash("+1 (555) 735-3647") == phone_hash("15557353647")
    with org_scope(world.org_a):
        services.surrogate_create(membership=case_a, full_name="Phone Person", phone="+1 (555) 735-3647")
    response = login(client, case_a).get(reverse("surrogates:list"), {"q": "(555) 735 3647"})
    assert "Phone Person" in response.content.decode()


def test_login_accepts_the_email_in_any_case(client, world, case_a):
    response = client.post(reverse("login"), {"username": case_a.user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert str(client.session["_auth_user_id"]) == str(case_a.user.pk)  # signed in; the MFA step is next


def test_a_date_of_birth_today_is_accepted(world, case_a):
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(
            membership=case_a, full_name="Born Today", date_of_birth=timezone.localdate()
        )
    assert surrogate.pk
