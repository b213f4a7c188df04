"""Staff booking pages: the list, approve, reschedule, cancel, link; settings; outsiders get 404."""
import datetime

import pytest
from django.core import mail

from booking import services
from booking.models import Appointment, AppointmentStatus, AppointmentType, AvailabilityRule, DateOverride
from surrogates.services import surrogate_create
from tenants.models import Role
from tenants.scope import org_scope
from tests.booking.helpers import book, make_staff, next_weekday_slot
from tests.conftest import login
from tests.matching.helpers import parent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup(world):
    staff = make_staff(world, world.org_a)
    with org_scope(world.org_a):
        appointment = book(staff, next_weekday_slot()).appointment
    return staff, appointment


def _get(org, pk):
    with org_scope(org):
        return Appointment.objects.get(pk=pk)


def test_staff_sees_pending_then_approves(client, world, setup):
    staff, appointment = setup
    login(client, staff.membership)
    response = client.get("/booking/?show=pending")
    assert response.status_code == 200
    assert str(appointment.public_id) in response.content.decode()
    assert "Vera Visitor" in response.content.decode()
    mail.outbox.clear()
    response = client.post(f"/booking/appointments/{appointment.public_id}/approve/")
    assert response.status_code == 302
    assert _get(world.org_a, appointment.pk).status == AppointmentStatus.CONFIRMED
    assert any(m.subject.startswith("Confirmed") for m in mail.outbox)
    assert str(appointment.public_id) in client.get("/booking/?show=confirmed").content.decode()


def test_approve_revalidates_the_slot(client, world, setup):
    staff, appointment = setup
    with org_scope(world.org_a):
        AvailabilityRule.objects.filter(membership=staff.membership).delete()
    login(client, staff.membership)
    response = client.post(f"/booking/appointments/{appointment.public_id}/approve/", follow=True)
    assert "no longer free" in response.content.decode()
    assert _get(world.org_a, appointment.pk).status == AppointmentStatus.PENDING


def test_staff_reschedules_and_cancels(client, world, setup):
    staff, appointment = setup
    login(client, staff.membership)
    detail = client.get(f"/booking/appointments/{appointment.public_id}/")
    assert detail.status_code == 200
    new_start = appointment.start_at + datetime.timedelta(hours=1)
    response = client.post(
        f"/booking/appointments/{appointment.public_id}/reschedule/", {"slot_start": new_start.strftime("%Y-%m-%dT%H:%M:%SZ")}
    )
    assert response.status_code == 302
    assert _get(world.org_a, appointment.pk).start_at == new_start
    bad = client.post(f"/booking/appointments/{appointment.public_id}/reschedule/", {"slot_start": "2001-01-01T00:00:00Z"})
    assert bad.status_code == 400
    assert client.post(f"/booking/appointments/{appointment.public_id}/cancel/").status_code == 302
    assert _get(world.org_a, appointment.pk).status == AppointmentStatus.CANCELLED
    assert str(appointment.public_id) in client.get("/booking/?show=past").content.decode()


def test_link_to_a_surrogate(client, world, setup):
    staff, appointment = setup
    with org_scope(world.org_a):
        surrogate = surrogate_create(membership=world.member(world.org_a, Role.ADMIN), full_name="Linked Person")
    login(client, staff.membership)
    response = client.post(f"/booking/appointments/{appointment.public_id}/link/", {"surrogate": str(surrogate.public_id)})
    assert response.status_code == 302
    assert _get(world.org_a, appointment.pk).surrogate_id == surrogate.pk


def test_link_to_an_intended_parent_and_never_to_another_orgs(client, world, setup):
    staff, appointment = setup
    mine = parent(world, world.org_a, name="Our Parent")
    theirs = parent(world, world.org_b, name="Their Parent")
    login(client, staff.membership)
    url = f"/booking/appointments/{appointment.public_id}/link/"
    page = client.get(f"/booking/appointments/{appointment.public_id}/").content.decode()
    assert "Our Parent" in page and "Their Parent" not in page
    assert client.post(url, {"intended_parent": str(mine.public_id)}).status_code == 302
    assert _get(world.org_a, appointment.pk).intended_parent_id == mine.pk
    refused = client.post(url, {"intended_parent": str(theirs.public_id)})
    assert refused.status_code == 400
    assert _get(world.org_a, appointment.pk).intended_parent_id == mine.pk


def test_other_staff_member_cannot_see_it_but_an_admin_can(client, world, setup):
    staff, appointment = setup
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    assert client.get(f"/booking/appointments/{appointment.public_id}/").status_code == 404
    assert client.post(f"/booking/appointments/{appointment.public_id}/cancel/").status_code == 404
    assert str(appointment.public_id) not in client.get("/booking/").content.decode()
    login(client, world.member(world.org_a, Role.ADMIN))
    assert client.get(f"/booking/appointments/{appointment.public_id}/").status_code == 200


def test_outsider_from_another_org_gets_404_and_changes_nothing(client, world, setup):
    staff, appointment = setup
    with org_scope(world.org_a):
        rule = AvailabilityRule.objects.filter(membership=staff.membership).first()
        override = services.date_override_add(membership=staff.membership, date=datetime.date(2030, 1, 1))
    login(client, world.member(world.org_b, Role.ADMIN))
    for url in (
        f"/booking/appointments/{appointment.public_id}/",
        f"/booking/appointments/{appointment.public_id}/approve/",
        f"/booking/appointments/{appointment.public_id}/cancel/",
        f"/booking/appointments/{appointment.public_id}/reschedule/",
        f"/booking/appointments/{appointment.public_id}/link/",
        f"/booking/types/{staff.type.public_id}/",
        f"/booking/hours/{rule.public_id}/delete/",
        f"/booking/overrides/{override.public_id}/delete/",
    ):
        assert client.post(url, {"name": "Hijack", "duration_minutes": 30}).status_code == 404, url
    assert client.get(f"/booking/appointments/{appointment.public_id}/").status_code == 404
    assert _get(world.org_a, appointment.pk).status == AppointmentStatus.PENDING
    with org_scope(world.org_a):
        assert AppointmentType.objects.get(pk=staff.type.pk).name == "Intro call"
        assert AvailabilityRule.objects.filter(pk=rule.pk).exists()
        assert DateOverride.objects.filter(pk=override.pk).exists()


def test_anonymous_is_sent_to_login(client, setup):
    assert client.get("/booking/").status_code == 302


def test_settings_manage_link_types_hours_overrides(client, world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    login(client, member)
    response = client.get("/booking/settings/")
    assert response.status_code == 200
    with org_scope(world.org_a):
        slug = member.booking_link.slug
    assert f"/book/{slug}/" in response.content.decode()
    assert client.post("/booking/settings/regenerate/").status_code == 302
    with org_scope(world.org_a):
        member.booking_link.refresh_from_db()
        assert member.booking_link.slug != slug
    response = client.post(
        "/booking/types/new/",
        {"name": "Consult", "duration_minutes": 45, "buffer_before_minutes": 0, "buffer_after_minutes": 5,
         "meeting_mode": "phone", "reminder_hours": 24, "is_active": "on"},
    )
    assert response.status_code == 302
    with org_scope(world.org_a):
        consult = AppointmentType.objects.get(name="Consult")
    assert consult.duration_minutes == 45 and consult.meeting_mode == "phone"
    response = client.post(f"/booking/types/{consult.public_id}/", {
        "name": "Consult", "duration_minutes": 60, "buffer_before_minutes": 0, "buffer_after_minutes": 5,
        "meeting_mode": "zoom", "reminder_hours": 2})
    assert response.status_code == 302
    with org_scope(world.org_a):
        consult.refresh_from_db()
    assert consult.duration_minutes == 60 and not consult.is_active
    assert client.post("/booking/hours/new/", {"weekday": 0, "start_time": "09:00", "end_time": "12:00"}).status_code == 302
    assert client.post("/booking/hours/new/", {"weekday": 0, "start_time": "12:00", "end_time": "09:00"}).status_code == 400
    assert client.post("/booking/overrides/new/", {"date": "2030-01-01"}).status_code == 302
    assert client.post("/booking/overrides/new/", {"date": "2030-01-02", "start_time": "10:00"}).status_code == 400
    assert client.post("/booking/settings/", {"timezone": "Europe/Berlin", "is_active": "on"}).status_code == 302
    assert client.post("/booking/settings/", {"timezone": "Nowhere/Land"}).status_code == 400
    with org_scope(world.org_a):
        assert member.booking_link.__class__.objects.get(membership=member).timezone == "Europe/Berlin"
        rule = AvailabilityRule.objects.get(membership=member)
    assert client.post(f"/booking/hours/{rule.public_id}/delete/").status_code == 302
    with org_scope(world.org_a):
        assert not AvailabilityRule.objects.filter(membership=member).exists()
