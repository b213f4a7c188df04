"""The Zoom pages: create from an appointment and from a surrogate's record, form errors, the
missing-connection message, who sees the join and host links, and the visitor's manage page."""
import re

import pytest
from django.core import mail

from booking import services as booking_services
from booking.models import AppointmentStatus
from integrations.zoom.models import ZoomMeeting
from tenants.models import Role
from tenants.scope import org_scope
from tests.booking.helpers import book, make_staff, next_weekday_slot
from tests.conftest import login
from tests.zoom.conftest import connect_zoom
from tests.zoom.helpers import future_start, make_surrogate, request_meeting

pytestmark = pytest.mark.django_db


def _form(at=None, **extra):
    return {
        "topic": "Intro call",
        "start": (at or future_start()).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "timezone": "UTC",
        "idempotency_key": "k1",
        **extra,
    }


def _meetings(org):
    with org_scope(org):
        return list(ZoomMeeting.objects.all())


@pytest.fixture
def staff(world):
    staff = make_staff(world, world.org_a)
    connect_zoom(staff.membership)
    return staff


@pytest.fixture
def appointment(staff):
    with org_scope(staff.membership.organization):
        return book(staff, next_weekday_slot(days_ahead=8)).appointment


def test_create_from_an_appointment(client, world, staff, appointment, fake_zoom, django_capture_on_commit_callbacks):
    login(client, staff.membership)
    page = client.get(f"/zoom/appointments/{appointment.public_id}/new/")
    assert page.status_code == 200 and b"Intro call" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/zoom/appointments/{appointment.public_id}/new/", _form())
    assert response.status_code == 302
    (meeting,) = _meetings(world.org_a)
    assert response["Location"] == f"/zoom/meetings/{meeting.public_id}/"
    assert meeting.appointment_id == appointment.pk and meeting.status == ZoomMeeting.Status.CREATED
    detail = client.get(response["Location"])
    assert meeting.join_url.encode() in detail.content
    assert b'data-testid="zoom-start-url"' in detail.content  # the host sees the start link
    booking_page = client.get(f"/booking/appointments/{appointment.public_id}/").content.decode()
    assert f"/zoom/appointments/{appointment.public_id}/new/" in booking_page
    assert str(meeting.public_id) in booking_page


def test_create_from_a_surrogates_record(client, world, fake_zoom, django_capture_on_commit_callbacks):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    connect_zoom(member)
    surrogate = make_surrogate(world, world.org_a)
    login(client, member)
    assert f"/zoom/surrogates/{surrogate.public_id}/new/" in client.get(f"/surrogates/{surrogate.public_id}/").content.decode()
    assert client.get(f"/zoom/surrogates/{surrogate.public_id}/new/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/zoom/surrogates/{surrogate.public_id}/new/", _form(timezone="America/Denver"))
    assert response.status_code == 302
    (meeting,) = _meetings(world.org_a)
    assert meeting.surrogate_id == surrogate.pk and meeting.timezone == "America/Denver"
    assert fake_zoom.creates() == 1
    assert str(meeting.public_id) in client.get(f"/surrogates/{surrogate.public_id}/").content.decode()


def test_the_start_link_is_for_the_host_only(client, world, fake_zoom, django_capture_on_commit_callbacks):
    host = world.member(world.org_a, Role.CASE_MANAGER)
    connect_zoom(host)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, host)
    login(client, world.member(world.org_a, Role.ADMIN))
    page = client.get(f"/zoom/meetings/{meeting.public_id}/").content.decode()
    assert _meetings(world.org_a)[0].join_url in page
    assert "zak=" not in page and 'data-testid="zoom-start-url"' not in page


@pytest.mark.parametrize(
    "change, error",
    [
        ({"topic": ""}, "This field is required"),
        ({"start": "tomorrow-ish"}, "Enter a date and time"),
        ({"duration_minutes": "0"}, "greater than or equal to 1"),
        ({"timezone": "Mars/Olympus"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_a_form_error(client, world, staff, appointment, change, error):
    login(client, staff.membership)
    response = client.post(f"/zoom/appointments/{appointment.public_id}/new/", _form(**change))
    assert response.status_code == 400 and error in response.content.decode()
    assert _meetings(world.org_a) == []


@pytest.mark.parametrize(
    "change, error",
    [
        ({"start": "9999-12-31T23:59", "timezone": "America/New_York"}, "That date is out of range"),
        ({"start": "9999-12-31T23:59", "timezone": "UTC"}, "That date is out of range"),
        ({"start": "0001-01-01T00:00", "timezone": "Asia/Tokyo"}, "That date is out of range"),
        ({"start": "99999-01-01T00:00"}, "Enter a date and time"),
        ({"duration_minutes": "99999999999999999999999"}, "less than or equal to 1440"),
        ({"duration_minutes": "1e9"}, "Enter a whole number"),
        ({"duration_minutes": "-5"}, "greater than or equal to 1"),
        ({"timezone": "../../etc/passwd"}, "Select a valid choice"),
        ({"timezone": "x" * 5000}, "Select a valid choice"),
    ],
)
@pytest.mark.parametrize("target", ["appointment", "surrogate"])
def test_absurd_dates_durations_and_zones_are_form_errors(client, world, staff, appointment, target, change, error):
    login(client, staff.membership)
    if target == "appointment":
        url = f"/zoom/appointments/{appointment.public_id}/new/"
    else:
        url = f"/zoom/surrogates/{make_surrogate(world, world.org_a).public_id}/new/"
    response = client.post(url, _form(**change))
    assert response.status_code == 400 and error in response.content.decode()
    assert _meetings(world.org_a) == []


def test_a_past_start_is_a_form_error(client, world, staff, appointment):
    login(client, staff.membership)
    response = client.post(f"/zoom/appointments/{appointment.public_id}/new/", _form(at=future_start(days=-2)))
    assert response.status_code == 400 and "must start in the future" in response.content.decode()
    assert _meetings(world.org_a) == []


def test_without_a_zoom_connection_the_page_says_connect_zoom(client, world, fake_zoom):
    member = world.member(world.org_a, Role.CASE_MANAGER)  # never connected Zoom
    surrogate = make_surrogate(world, world.org_a)
    login(client, member)
    page = client.get(f"/zoom/surrogates/{surrogate.public_id}/new/")
    assert page.status_code == 200 and 'href="/settings/integrations/"' in page.content.decode()
    response = client.post(f"/zoom/surrogates/{surrogate.public_id}/new/", _form())
    body = response.content.decode()
    assert response.status_code == 400 and "Zoom account is not connected" in body
    assert 'href="/settings/integrations/"' in body
    assert _meetings(world.org_a) == [] and fake_zoom.requests == []


def _manage_token_from_last_email() -> str:
    return re.search(r"/book/manage/([^/\s]+)/", mail.outbox[-1].body).group(1)


def test_the_visitor_sees_the_join_url_only_once_confirmed(client, world, staff, fake_zoom, django_capture_on_commit_callbacks):
    with org_scope(world.org_a), django_capture_on_commit_callbacks(execute=True):
        result = book(staff, next_weekday_slot(days_ahead=8))
    pending_token = result.token
    with django_capture_on_commit_callbacks(execute=True):
        request_meeting(world, staff.membership, appointment=result.appointment)
    (meeting,) = _meetings(world.org_a)
    assert meeting.status == ZoomMeeting.Status.CREATED and meeting.join_url

    pending_page = client.get(f"/book/manage/{pending_token}/").content.decode()
    assert "Pending approval" in pending_page
    assert meeting.join_url not in pending_page and "zoom.example" not in pending_page

    with org_scope(world.org_a), django_capture_on_commit_callbacks(execute=True):
        booking_services.appointment_approve(
            membership=staff.membership, appointment=result.appointment, base_url="http://testserver"
        )
    confirmed_page = client.get(f"/book/manage/{_manage_token_from_last_email()}/").content.decode()
    assert AppointmentStatus.CONFIRMED.label in confirmed_page
    assert meeting.join_url in confirmed_page
    assert meeting.start_url not in confirmed_page and "zak=" not in confirmed_page


def test_a_cancelled_appointment_gets_no_meeting(client, world, staff, appointment):
    with org_scope(world.org_a):
        booking_services.appointment_cancel(membership=staff.membership, appointment=appointment)
    login(client, staff.membership)
    response = client.post(f"/zoom/appointments/{appointment.public_id}/new/", _form())
    assert response.status_code == 400 and "cancelled" in response.content.decode()


# --- Outsiders ----------------------------------------------------------------------------------


def test_other_orgs_appointment_surrogate_and_meeting_give_404(client, world, fake_zoom, django_capture_on_commit_callbacks):
    b_staff = make_staff(world, world.org_b, tz="America/Los_Angeles")
    connect_zoom(b_staff.membership)
    with org_scope(world.org_b):
        b_appointment = book(b_staff, next_weekday_slot(tz="America/Los_Angeles", days_ahead=8)).appointment
    with django_capture_on_commit_callbacks(execute=True):
        b_meeting = request_meeting(world, b_staff.membership, appointment=b_appointment)
    b_surrogate = make_surrogate(world, world.org_b, name="Other Agency")
    a_admin = world.member(world.org_a, Role.ADMIN)
    connect_zoom(a_admin)
    login(client, a_admin)
    for url in (
        f"/zoom/appointments/{b_appointment.public_id}/new/",
        f"/zoom/surrogates/{b_surrogate.public_id}/new/",
        f"/zoom/meetings/{b_meeting.public_id}/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, _form()).status_code == 404, url
    assert client.post(f"/zoom/meetings/{b_meeting.public_id}/retry/").status_code == 404
    assert _meetings(world.org_a) == [] and len(_meetings(world.org_b)) == 1
    assert fake_zoom.creates() == 1


def test_a_member_who_cannot_see_the_surrogate_gets_404(client, world, fake_zoom):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)  # sees only surrogates they own
    connect_zoom(intake)
    surrogate = make_surrogate(world, world.org_a)
    login(client, intake)
    assert client.post(f"/zoom/surrogates/{surrogate.public_id}/new/", _form()).status_code == 404
    assert _meetings(world.org_a) == []
