import pytest
from django.urls import reverse

from surrogates import services
from surrogates.models import Stage, StatusChange, StatusChangeRequest, Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres

REQUESTS_URL = reverse("surrogates:requests")


def stage(org, key):
    with org_scope(org):
        return Stage.objects.get(key=key)


def refreshed(obj):
    with org_scope(obj.organization):
        return type(obj).objects.get(pk=obj.pk)


def pending_request(world, org, *, requester_role=Role.INTAKE_SPECIALIST):
    """A surrogate at 'qualified' (moved by the admin), and a regression to 'contacted' asked by another member."""
    admin = world.member(org, Role.ADMIN)
    requester = world.member(org, requester_role)
    with org_scope(org):
        surrogate = services.surrogate_create(membership=admin, full_name="Jane Doe", owner=requester.user)
        services.surrogate_change_status(
            membership=admin, surrogate=surrogate, to_stage=Stage.objects.get(key="qualified")
        )
        request = services.surrogate_change_status(
            membership=requester,
            surrogate=surrogate,
            to_stage=Stage.objects.get(key="contacted"),
            reason="Interview fell through",
        )
    assert isinstance(request, StatusChangeRequest)
    return surrogate, request


def action_url(name, request):
    return reverse(f"surrogates:request-{name}", args=[request.public_id])


def test_regression_requested_in_the_view_is_approved_on_the_approvals_page(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    with org_scope(world.org_a):
        surrogate = services.surrogate_create(membership=admin, full_name="Jane Doe", owner=intake.user)
        services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=Stage.objects.get(key="qualified"))
    login(client, intake).post(
        reverse("surrogates:status", args=[surrogate.public_id]),
        {"to_stage": stage(world.org_a, "contacted").pk, "reason": "Interview fell through"},
    )
    with org_scope(world.org_a):
        request = StatusChangeRequest.objects.get(state="pending")
    assert refreshed(surrogate).stage.key == "qualified"

    login(client, admin)
    page = client.get(REQUESTS_URL).content.decode()
    assert f'data-request="{request.public_id}"' in page and ">Approve</button>" in page and ">Reject</button>" in page
    response = client.post(action_url("approve", request), {"next": REQUESTS_URL}, follow=True)
    assert response.redirect_chain[-1][0] == REQUESTS_URL
    assert "Approved" in response.content.decode()

    assert refreshed(surrogate).stage.key == "contacted"
    assert refreshed(request).state == "approved" and refreshed(request).decided_by == admin.user
    with org_scope(world.org_a):
        change = StatusChange.objects.filter(surrogate=surrogate).first()
    assert (change.kind, change.requested_by, change.approved_by) == ("approved_regression", intake.user, admin.user)


def test_reject_leaves_the_stage(client, world):
    surrogate, request = pending_request(world, world.org_a)
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(action_url("reject", request), {"note": "No"})
    assert response.status_code == 302 and response["Location"] == REQUESTS_URL
    assert refreshed(request).state == "rejected" and refreshed(request).decision_note == "No"
    assert refreshed(surrogate).stage.key == "qualified"


def test_next_must_be_a_local_url(client, world):
    _, request = pending_request(world, world.org_a)
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(
        action_url("reject", request), {"next": "https://evil.example.com/"}
    )
    assert response["Location"] == REQUESTS_URL


def test_only_approvers_can_approve(client, world):
    surrogate, request = pending_request(world, world.org_a, requester_role=Role.INTAKE_SPECIALIST)
    response = login(client, world.member(world.org_a, Role.CASE_MANAGER)).post(action_url("approve", request), follow=True)
    assert "Your role does not allow this." in response.content.decode()
    assert refreshed(request).state == "pending"
    assert refreshed(surrogate).stage.key == "qualified"


def test_requester_sees_own_pending_request_and_can_cancel_it(client, world):
    _, request = pending_request(world, world.org_a)
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    page = client.get(REQUESTS_URL).content.decode()
    assert f'data-request="{request.public_id}"' in page
    assert ">Cancel request</button>" in page and ">Approve</button>" not in page
    assert client.post(action_url("cancel", request)).status_code == 302
    assert refreshed(request).state == "cancelled"


def test_only_the_requester_can_cancel(client, world):
    _, request = pending_request(world, world.org_a)
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(action_url("cancel", request), follow=True)
    assert "Only the person who asked can cancel this request." in response.content.decode()
    assert refreshed(request).state == "pending"


def test_deciding_twice_says_it_was_already_decided(client, world):
    _, request = pending_request(world, world.org_a)
    login(client, world.member(world.org_a, Role.ADMIN))
    client.post(action_url("reject", request))
    response = client.post(action_url("approve", request), follow=True)
    assert "This request was already rejected." in response.content.decode()
    assert refreshed(request).state == "rejected"


def test_members_who_cannot_approve_only_see_their_own_requests(client, world):
    _, request = pending_request(world, world.org_a, requester_role=Role.INTAKE_SPECIALIST)
    page = login(client, world.member(world.org_a, Role.CASE_MANAGER)).get(REQUESTS_URL).content.decode()
    assert str(request.public_id) not in page


def test_approvals_page_never_lists_another_organizations_requests(client, world):
    _, theirs = pending_request(world, world.org_b)
    page = login(client, world.member(world.org_a, Role.ADMIN)).get(REQUESTS_URL).content.decode()
    assert str(theirs.public_id) not in page


@pytest.mark.parametrize("name", ["approve", "reject", "cancel"])
def test_outsider_gets_404_and_nothing_changes(client, world, name):
    surrogate, theirs = pending_request(world, world.org_b, requester_role=Role.ADMIN)
    response = login(client, world.member(world.org_a, Role.ADMIN)).post(action_url(name, theirs))
    assert response.status_code == 404
    assert refreshed(theirs).state == "pending"
    assert refreshed(surrogate).stage.key == "qualified"


def test_intake_specialist_gets_404_for_a_request_on_a_surrogate_they_no_longer_own(client, world):
    surrogate, request = pending_request(world, world.org_a, requester_role=Role.INTAKE_SPECIALIST)
    with org_scope(world.org_a):
        Surrogate.objects.filter(pk=surrogate.pk).update(owner=world.member(world.org_a, Role.CASE_MANAGER).user)
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    assert str(request.public_id) not in client.get(REQUESTS_URL).content.decode()
    assert client.post(action_url("cancel", request)).status_code == 404
    assert refreshed(request).state == "pending"
