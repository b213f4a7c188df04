"""Security review of the cached public booking page and slots JSON (91f2579, c0b70b1)."""
import datetime

import pytest
from django.test import Client

from booking import services, views
from booking.models import AvailabilityRule, BookingLink
from tenants.models import Role
from tenants.scope import org_scope
from tests.booking.helpers import book, booking_form, hidden_value, make_staff, next_weekday_slot

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _page(client, slug):
    return client.get(f"/book/{slug}/")


def _slots(client, slug, type_id):
    first = datetime.date.today() + datetime.timedelta(days=1)
    return client.get(
        f"/book/{slug}/slots/",
        {"type": str(type_id), "start": first.isoformat(),
         "end": (first + datetime.timedelta(days=13)).isoformat(), "tz": "America/New_York"},
    )


def _post_form(body, staff, start):
    return booking_form(staff, start, notes="", csrfmiddlewaretoken=hidden_value(body, "csrfmiddlewaretoken"),
                        idempotency_key=hidden_value(body, "idempotency_key"))


def test_org_b_slug_never_gets_org_a_cached_bytes(world):
    a = make_staff(world, world.org_a)
    b = make_staff(world, world.org_b)
    client = Client()
    for _ in range(2):  # miss then hit for both
        body_a = _page(client, a.link.slug).content.decode()
        body_b = _page(client, b.link.slug).content.decode()
    assert "Agency A" in body_a and "Agency B" not in body_a
    assert "Agency B" in body_b and "Agency A" not in body_b
    assert str(a.type.public_id) in body_a and str(a.type.public_id) not in body_b
    assert f"/book/{a.link.slug}/slots/" in body_a and a.link.slug not in body_b
    slots_a = _slots(client, a.link.slug, a.type.public_id)
    assert slots_a.status_code == 200
    # org A's type id through org B's slug: never org A's cached JSON
    assert _slots(client, b.link.slug, a.type.public_id).status_code == 400


def test_hostile_staff_name_is_escaped_and_marker_text_is_inert(world):
    staff = make_staff(world, world.org_a)
    user = staff.membership.user
    user.full_name = '<script>alert(1)</script>"><img src=x> csrf00112233445566778899aabbccddeeff'
    user.save(update_fields=["full_name"])
    client = Client()
    _page(client, staff.link.slug)
    body = _page(client, staff.link.slug).content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert '"><img src=x>' not in body
    assert "csrf00112233445566778899aabbccddeeff" in body  # a look-alike marker is left alone
    # the real markers never reach a client, so no page content can imitate them
    assert views.CSRF_PLACEHOLDER not in body and str(views.KEY_PLACEHOLDER) not in body


def test_cached_page_csrf_token_works_only_with_its_own_cookie(world):
    staff = make_staff(world, world.org_a)
    alice, mallory = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    _page(alice, staff.link.slug)  # warm the cache
    alice_body = _page(alice, staff.link.slug).content.decode()
    mallory_body = _page(mallory, staff.link.slug).content.decode()
    assert hidden_value(alice_body, "csrfmiddlewaretoken") != hidden_value(mallory_body, "csrfmiddlewaretoken")
    start = next_weekday_slot()
    # Mallory's token with Alice's cookie: refused
    assert alice.post(f"/book/{staff.link.slug}/", _post_form(mallory_body, staff, start)).status_code == 403
    # a fresh client with no cookie at all: refused
    assert Client(enforce_csrf_checks=True).post(
        f"/book/{staff.link.slug}/", _post_form(alice_body, staff, start)).status_code == 403
    # Alice's own double submit: accepted
    assert alice.post(f"/book/{staff.link.slug}/", _post_form(alice_body, staff, start)).status_code == 201


def test_deactivated_staff_user_or_membership_or_link_stops_cached_page_and_slots(world):
    staff = make_staff(world, world.org_a)
    client = Client()
    for _ in range(2):
        assert _page(client, staff.link.slug).status_code == 200
        assert _slots(client, staff.link.slug, staff.type.public_id).status_code == 200
    user = staff.membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _page(client, staff.link.slug).status_code == 404
    assert _slots(client, staff.link.slug, staff.type.public_id).status_code == 404
    user.is_active = True
    user.save(update_fields=["is_active"])
    membership = staff.membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert _page(client, staff.link.slug).status_code == 404
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    with org_scope(world.org_a):
        services.booking_link_update(membership=membership, timezone_name="America/New_York", is_active=False)
    assert _page(client, staff.link.slug).status_code == 404
    assert _slots(client, staff.link.slug, staff.type.public_id).status_code == 404


def test_deleted_link_stops_cached_page(world):
    staff = make_staff(world, world.org_a)
    client = Client()
    _page(client, staff.link.slug)
    assert _page(client, staff.link.slug).status_code == 200
    with org_scope(world.org_a):
        BookingLink.objects.filter(pk=staff.link.pk).delete()
    assert _page(client, staff.link.slug).status_code == 404
    assert _slots(client, staff.link.slug, staff.type.public_id).status_code == 404


def test_booking_and_cancel_show_in_cached_slots_at_once(world):
    staff = make_staff(world, world.org_a)
    client = Client()
    start = next_weekday_slot()
    iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")

    def starts():
        response = _slots(client, staff.link.slug, staff.type.public_id)
        assert response.status_code == 200
        return [slot["start"] for slot in response.json()["slots"]]

    assert iso in starts() and iso in starts()  # cached
    with org_scope(world.org_a):
        result = book(staff, start)
        appointment = result.appointment
    assert iso not in starts()
    with org_scope(world.org_a):
        services.appointment_cancel(appointment=appointment)
    assert iso in starts()
    with org_scope(world.org_a):  # an availability change too
        for rule in AvailabilityRule.objects.filter(membership=staff.membership):
            services.availability_rule_delete(membership=staff.membership, rule=rule)
    assert starts() == []


def test_stale_full_save_of_link_does_not_resurrect_stale_slots(world):
    staff = make_staff(world, world.org_a)
    client = Client()
    start = next_weekday_slot()
    iso = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    with org_scope(world.org_a):
        stale = BookingLink.objects.get(pk=staff.link.pk)  # e.g. an admin/edit form loads the link
    first = _slots(client, staff.link.slug, staff.type.public_id).json()
    assert iso in [s["start"] for s in first["slots"]]  # cached under the current version
    with org_scope(world.org_a):
        book(staff, start)  # bumps data_version (and commits)
        assert BookingLink.objects.get(pk=staff.link.pk).data_version > stale.data_version
    with org_scope(world.org_a):
        stale.save()  # any full save (no update_fields) of the earlier-loaded instance
        assert BookingLink.objects.get(pk=staff.link.pk).data_version > stale.data_version  # never backwards
    again = _slots(client, staff.link.slug, staff.type.public_id).json()
    assert iso not in [s["start"] for s in again["slots"]], "booked slot offered again from the stale cache entry"
