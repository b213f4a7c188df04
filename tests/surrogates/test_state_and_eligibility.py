"""State and eligibility: set by staff or copied from an approved application's mapped answers."""
import pytest
from django.urls import reverse

from forms_public.models import SurrogateField
from forms_public.schema import mapped_changes
from surrogates import services
from surrogates.models import Surrogate
from surrogates.services import SurrogateError
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def test_staff_set_state_and_eligibility_on_the_edit_page(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(membership=case, full_name="State Person", owner=case.user)
    response = login(client, case).post(
        reverse("surrogates:edit", args=[surrogate.public_id]),
        {"full_name": "State Person", "source": "manual", "priority": "normal", "state": "oh", "is_eligible": "true",
         "owner": case.user.pk},
    )
    assert response.status_code == 302
    with org_scope(world.org_a):
        saved = Surrogate.objects.get(pk=surrogate.pk)
    assert (saved.state, saved.is_eligible) == ("OH", True)
    assert "Eligible" in client.get(reverse("surrogates:detail", args=[surrogate.public_id])).content.decode()


def test_an_unknown_state_is_refused(world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    with org_scope(world.org_a):
        with pytest.raises(SurrogateError):
            services.surrogate_create(membership=case, full_name="Nowhere", state="ZZ")
        assert not Surrogate.objects.exists()


def test_mapped_answers_carry_state_and_eligibility():
    schema = {
        "pages": [
            {
                "fields": [
                    {"key": "home_state", "type": "select", "maps_to": SurrogateField.STATE},
                    {"key": "meets_requirements", "type": "checkbox", "maps_to": SurrogateField.IS_ELIGIBLE},
                ]
            }
        ]
    }
    assert mapped_changes(schema, {"home_state": " OH ", "meets_requirements": True}) == {"state": "OH", "is_eligible": True}
