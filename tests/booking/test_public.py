"""The public booking page, the slots endpoint and the self-service manage page."""
import datetime
import re
import uuid
import zoneinfo

import pytest
from django.core import mail

from booking import services
from booking.models import Appointment, AppointmentStatus
from booking.selectors import token_hash
from tenants.scope import org_scope
from tests.booking.helpers import booking_form, make_staff, next_weekday_slot

# transaction=True: emails go out in transaction.on_commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)
NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def staff(world):
    return make_staff(world, world.org_a)


def _page(staff):
    return f"/book/{staff.link.slug}/"


def _slots_url(staff):
    return f"/book/{staff.link.slug}/slots/"


def _manage_token_from(message) -> str:
    return re.search(r"/book/manage/([^/\s]+)/", message.body).group(1)


def _appointments(org):
    with org_scope(org):
        return list(Appointment.objects.all())


# --- Page and slots -------------------------------------------------------------------------------


def test_page_shows_staff_types_org_and_zone(client, staff, world):
    response = client.get(_page(staff))
    assert response.status_code == 200
    body = response.content.decode()
    assert staff.membership.user.display_name in body
    assert "Intro call" in body and "Agency A" in body and "America/New_York" in body
    assert "<script src=" in body and "<script>" not in body  # CSP: no inline script


def test_unknown_or_inactive_link_is_404(client, staff, world):
    assert client.get("/book/not-a-real-slug/").status_code == 404
    with org_scope(world.org_a):
        services.booking_link_update(membership=staff.membership, timezone_name="America/New_York", is_active=False)
    assert client.get(_page(staff)).status_code == 404


def test_regenerated_link_retires_the_old_slug(client, staff, world):
    old = staff.link.slug
    with org_scope(world.org_a):
        link = services.booking_link_regenerate(membership=staff.membership)
    assert link.slug != old
    assert client.get(f"/book/{old}/").status_code == 404
    assert client.get(f"/book/{old}/slots/").status_code == 404
    assert client.get(f"/book/{link.slug}/").status_code == 200


def test_slots_json_lists_utc_starts_and_visitor_labels(client, staff):
    start = next_weekday_slot(days_ahead=3)
    day = start.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).date()
    response = client.get(
        _slots_url(staff), {"type": str(staff.type.public_id), "start": day.isoformat(), "end": day.isoformat(), "tz": "Europe/Paris"}
    )
    assert response.status_code == 200
    data = response.json()
    assert data["timezone"] == "Europe/Paris"
    first = data["slots"][0]
    instant = datetime.datetime.fromisoformat(first["start"])
    assert first["start"].endswith("Z")
    paris = instant.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert first["time"] == f"{paris:%H:%M}" and first["date"] == day.isoformat()
    assert instant.astimezone(NY).time() == datetime.time(9, 0)
    assert paris.tzname() in first["label"]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"start": "2027-13-01", "end": "2027-13-02", "tz": "UTC"}, "YYYY-MM-DD"),
        ({"start": "tomorrow", "end": "", "tz": "UTC"}, "YYYY-MM-DD"),
        ({"tz": "Mars/Olympus"}, "Unknown time zone"),
        ({"tz": ""}, "Unknown time zone"),
        ({"reversed": True, "tz": "UTC"}, "before start"),
        ({"type": "not-a-uuid", "tz": "UTC"}, "Unknown appointment type"),
        ({"type": str(uuid.uuid4()), "tz": "UTC"}, "Unknown appointment type"),
        ({"start": "1999-01-01", "end": "1999-01-02", "tz": "UTC"}, "start must be"),
    ],
)
def test_bad_slot_queries_give_400_with_a_message(client, staff, params, message):
    today = datetime.date.today()
    query = {"type": str(staff.type.public_id), "start": today.isoformat(), "end": (today + datetime.timedelta(days=3)).isoformat()}
    if params.pop("reversed", False):
        query["start"], query["end"] = query["end"], query["start"]
    query.update(params)
    response = client.get(_slots_url(staff), query)
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_slots_window_is_capped_at_30_days(client, staff):
    today = datetime.date.today()
    response = client.get(
        _slots_url(staff),
        {"type": str(staff.type.public_id), "start": today.isoformat(), "end": (today + datetime.timedelta(days=200)).isoformat(), "tz": "UTC"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["end"] == (today + datetime.timedelta(days=29)).isoformat()
    assert all(slot["date"] <= data["end"] for slot in data["slots"])


# --- Booking --------------------------------------------------------------------------------------


def test_booking_creates_a_pending_request_and_emails_both_sides(client, staff, world):
    start = next_weekday_slot()
    response = client.post(_page(staff), booking_form(staff, start))
    assert response.status_code == 201, response.content.decode()[:2000]
    assert "Request received" in response.content.decode()
    (appointment,) = _appointments(world.org_a)
    assert appointment.status == AppointmentStatus.PENDING and appointment.start_at == start
    assert appointment.visitor_phone == "+12025550143" and appointment.visitor_timezone == "Europe/Paris"
    visitor_mail = next(m for m in mail.outbox if m.to == ["vera@example.com"])
    staff_mail = next(m for m in mail.outbox if m.to == [staff.membership.user.email])
    paris = start.astimezone(zoneinfo.ZoneInfo("Europe/Paris"))
    assert f"{paris:%H:%M}" in visitor_mail.body and "Europe/Paris" in visitor_mail.body
    assert "09:00" not in staff_mail.body or "America/New_York" in staff_mail.body
    assert f"{start.astimezone(NY):%H:%M}" in staff_mail.body
    assert "vera@example.com" not in staff_mail.body  # no visitor PII in the staff notice
    assert visitor_mail.attachments[0][0] == "appointment.ics"
    token = _manage_token_from(visitor_mail)
    assert appointment.manage_token_hash == token_hash(token) and token not in appointment.manage_token_hash


def test_invalid_phone_is_a_form_error(client, staff, world):
    response = client.post(_page(staff), booking_form(staff, next_weekday_slot(), phone="12345"))
    assert response.status_code == 400
    assert "valid phone number" in response.content.decode()
    assert _appointments(world.org_a) == []


def test_garbage_post_is_a_form_error_not_a_500(client, staff, world):
    response = client.post(_page(staff), {"slot_start": "yesterday", "idempotency_key": "x", "appointment_type": "y"})
    assert response.status_code == 400
    assert _appointments(world.org_a) == []


def test_retried_post_returns_the_same_booking(client, staff, world):
    form = booking_form(staff, next_weekday_slot())
    first = client.post(_page(staff), form)
    again = client.post(_page(staff), form)
    assert first.status_code == 201 and again.status_code == 200
    (appointment,) = _appointments(world.org_a)
    assert str(appointment.public_id) in again.content.decode()
    assert len([m for m in mail.outbox if m.to == ["vera@example.com"]]) == 1


def test_taken_slot_says_no_longer_available(client, staff, world):
    start = next_weekday_slot()
    assert client.post(_page(staff), booking_form(staff, start)).status_code == 201
    response = client.post(_page(staff), booking_form(staff, start, email="other@example.com"))
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()
    assert len(_appointments(world.org_a)) == 1


def test_slot_outside_the_hours_is_refused(client, staff, world):
    start = next_weekday_slot(hour=20)
    response = client.post(_page(staff), booking_form(staff, start))
    assert response.status_code == 409
    assert _appointments(world.org_a) == []


@pytest.mark.redis
def test_eleventh_booking_post_in_a_minute_gets_429(client, staff):
    statuses = [client.post(_page(staff), booking_form(staff, next_weekday_slot(), phone="bad")).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429


def test_page_and_slots_allow_60_gets_a_minute(client, staff):
    statuses = [client.get(_page(staff)).status_code for _ in range(60)]
    assert set(statuses) == {200}
    assert client.get(_slots_url(staff), {"tz": "UTC"}).status_code == 429


# --- Self-service ---------------------------------------------------------------------------------


@pytest.fixture
def booked(client, staff, world):
    start = next_weekday_slot()
    assert client.post(_page(staff), booking_form(staff, start)).status_code == 201
    token = _manage_token_from(next(m for m in mail.outbox if m.to == ["vera@example.com"]))
    (appointment,) = _appointments(world.org_a)
    return appointment, token


def test_manage_page_shows_the_appointment(client, booked):
    appointment, token = booked
    response = client.get(f"/book/manage/{token}/")
    assert response.status_code == 200
    assert "Intro call" in response.content.decode()


def test_wrong_or_expired_token_is_404(client, booked, world):
    appointment, token = booked
    assert client.get("/book/manage/nope/").status_code == 404
    assert client.get(f"/book/manage/{token[:-1]}x/").status_code == 404
    with org_scope(world.org_a):
        Appointment.objects.filter(pk=appointment.pk).update(
            manage_token_expires_at=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        )
    assert client.get(f"/book/manage/{token}/").status_code == 404
    assert client.post(f"/book/manage/{token}/", {"action": "cancel"}).status_code == 404


def test_token_expires_seven_days_after_the_appointment(booked):
    appointment, _ = booked
    assert appointment.manage_token_expires_at == appointment.end_at + datetime.timedelta(days=7)


def test_approval_rotates_the_token(client, booked, staff, world):
    appointment, token = booked
    mail.outbox.clear()
    with org_scope(world.org_a):
        services.appointment_approve(membership=staff.membership, appointment=appointment, base_url="http://testserver")
    assert client.get(f"/book/manage/{token}/").status_code == 404
    confirmed = next(m for m in mail.outbox if m.to == ["vera@example.com"])
    assert confirmed.subject.startswith("Confirmed")
    new_token = _manage_token_from(confirmed)
    assert client.get(f"/book/manage/{new_token}/").status_code == 200


def test_visitor_reschedules_and_the_token_rotates(client, booked, staff, world):
    appointment, token = booked
    new_start = appointment.start_at + datetime.timedelta(hours=2)
    mail.outbox.clear()
    response = client.post(
        f"/book/manage/{token}/",
        {"action": "reschedule", "slot_start": new_start.strftime("%Y-%m-%dT%H:%M:%SZ"), "visitor_timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 302
    new_token = response["Location"].split("/book/manage/")[1].split("/")[0]
    assert new_token != token
    assert client.get(f"/book/manage/{token}/").status_code == 404
    assert client.get(response["Location"]).status_code == 200
    with org_scope(world.org_a):
        moved = Appointment.objects.get(pk=appointment.pk)
    assert moved.start_at == new_start and moved.visitor_timezone == "Asia/Tokyo" and moved.sequence == 1
    email = next(m for m in mail.outbox if m.to == ["vera@example.com"])
    assert new_token in email.body and "Asia/Tokyo" in email.body


def test_reschedule_to_a_taken_slot_is_refused(client, booked, staff, world):
    appointment, token = booked
    other = appointment.start_at + datetime.timedelta(hours=3)
    assert client.post(_page(staff), booking_form(staff, other, email="o@example.com")).status_code == 201
    response = client.post(
        f"/book/manage/{token}/", {"action": "reschedule", "slot_start": other.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    assert response.status_code == 409
    assert "no longer available" in response.content.decode()


def test_cancel_frees_the_slot(client, booked, staff, world):
    appointment, token = booked
    slot = appointment.start_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    day = appointment.start_at.astimezone(NY).date().isoformat()
    query = {"type": str(staff.type.public_id), "start": day, "end": day, "tz": "America/New_York"}
    assert slot not in {s["start"] for s in client.get(_slots_url(staff), query).json()["slots"]}
    response = client.post(f"/book/manage/{token}/", {"action": "cancel"})
    assert response.status_code == 302
    with org_scope(world.org_a):
        assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.CANCELLED
    assert slot in {s["start"] for s in client.get(_slots_url(staff), query).json()["slots"]}
    assert client.post(_page(staff), booking_form(staff, appointment.start_at, email="next@example.com")).status_code == 201


def test_manage_slots_exclude_nothing_but_the_appointment_itself(client, booked, staff):
    appointment, token = booked
    day = appointment.start_at.astimezone(NY).date().isoformat()
    data = client.get(f"/book/manage/{token}/slots/", {"start": day, "end": day, "tz": "America/New_York"}).json()
    assert appointment.start_at.strftime("%Y-%m-%dT%H:%M:%SZ") in {s["start"] for s in data["slots"]}


@pytest.mark.redis
def test_eleventh_manage_post_gets_429(client, booked):
    _, token = booked
    statuses = [client.post(f"/book/manage/{token}/", {"action": "bogus"}).status_code for _ in range(11)]
    assert statuses[:9] == [400] * 9  # the booking POST in the fixture counted too
    assert 429 in statuses
