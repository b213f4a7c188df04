"""The cached public booking page and slots JSON (booking.cache, tenants.page_cache): a hit costs
one statement, carries this request's CSRF token and a new idempotency key, every change through
the services shows on the next request, and nothing crosses organizations."""
import datetime
import re
import uuid
import zoneinfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from booking import cache as booking_cache
from booking import selectors, services, views
from booking.models import BookingLink
from booking.slots import epoch_us
from tenants.models import Role
from tenants.scope import org_scope
from tests.booking.helpers import book, booking_form, hidden_value, make_staff, next_weekday_slot

pytestmark = pytest.mark.django_db(transaction=True)
NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def staff(world):
    return make_staff(world, world.org_a)


def _page(client, staff, slug=None):
    return client.get(f"/book/{slug or staff.link.slug}/")


def _slots(client, staff, *, type_id=None, days=7, slug=None):
    first = datetime.date.today() + datetime.timedelta(days=1)
    return client.get(
        f"/book/{slug or staff.link.slug}/slots/",
        {
            "type": str(type_id or staff.type.public_id),
            "start": first.isoformat(),
            "end": (first + datetime.timedelta(days=days - 1)).isoformat(),
            "tz": "Europe/Paris",
        },
    )


def _starts(response) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [slot["start"] for slot in response.json()["slots"]]


# --- The booking page ---------------------------------------------------------------------------


def test_second_page_view_is_one_statement_and_the_same_page(staff):
    client = Client()
    first = _page(client, staff).content.decode()
    with CaptureQueriesContext(connection) as captured:
        second = _page(client, staff).content.decode()
    assert len(captured.captured_queries) == 1  # the link check itself, never skipped

    def strip(body):
        return re.sub(r'name="(csrfmiddlewaretoken|idempotency_key)" value="[^"]+"', "", body)

    assert strip(first) == strip(second)
    assert "Intro call" in second and "Agency A" in second


def test_each_page_view_gets_its_own_csrf_token_and_idempotency_key(staff):
    bodies = [_page(Client(), staff).content.decode() for _ in range(2)]
    tokens = [hidden_value(body, "csrfmiddlewaretoken") for body in bodies]
    keys = [hidden_value(body, "idempotency_key") for body in bodies]
    assert tokens[0] != tokens[1] and keys[0] != keys[1]
    assert all(uuid.UUID(key) for key in keys)
    assert str(views.KEY_PLACEHOLDER) not in "".join(bodies) and views.CSRF_PLACEHOLDER not in "".join(bodies)


def test_cached_page_token_passes_the_csrf_check(staff):
    client = Client(enforce_csrf_checks=True)
    _page(client, staff)  # fills the cache
    body = _page(client, staff).content.decode()
    start = next_weekday_slot()
    response = client.post(
        f"/book/{staff.link.slug}/",
        booking_form(staff, start, notes="", csrfmiddlewaretoken=hidden_value(body, "csrfmiddlewaretoken"),
                     idempotency_key=hidden_value(body, "idempotency_key")),
    )
    assert response.status_code == 201, response.content.decode()[:1000]


def test_type_changes_show_on_the_next_page_view(staff, world):
    client = Client()
    assert "Intro call" in _page(client, staff).content.decode()
    with org_scope(world.org_a):
        services.appointment_type_update(membership=staff.membership, appointment_type=staff.type, name="Consultation")
    body = _page(client, staff).content.decode()
    assert "Consultation" in body and "Intro call" not in body
    with org_scope(world.org_a):
        services.appointment_type_create(membership=staff.membership, name="Follow-up")
    assert "Follow-up" in _page(client, staff).content.decode()
    with org_scope(world.org_a):
        services.appointment_type_update(membership=staff.membership, appointment_type=staff.type, is_active=False)
    assert "Consultation" not in _page(client, staff).content.decode()


def test_organization_and_staff_names_show_on_the_next_page_view(staff, world):
    client = Client()
    _page(client, staff)
    world.org_a.name = "Harbor Renamed"
    world.org_a.save(update_fields=["name"])
    user = staff.membership.user
    user.full_name = "Dana Renamed"
    user.save(update_fields=["full_name"])
    body = _page(client, staff).content.decode()
    assert "Harbor Renamed" in body and "Dana Renamed" in body


def test_disabled_or_rotated_link_stops_at_once(staff, world):
    client = Client()
    assert _page(client, staff).status_code == 200 and _slots(client, staff).status_code == 200
    old = staff.link.slug
    with org_scope(world.org_a):
        link = services.booking_link_regenerate(membership=staff.membership)
    assert _page(client, staff, slug=old).status_code == 404
    assert _slots(client, staff, slug=old).status_code == 404
    assert _page(client, staff, slug=link.slug).status_code == 200
    with org_scope(world.org_a):
        services.booking_link_update(membership=staff.membership, timezone_name="America/New_York", is_active=False)
    assert _page(client, staff, slug=link.slug).status_code == 404
    assert _slots(client, staff, slug=link.slug).status_code == 404


def test_deactivated_member_or_user_stops_at_once(staff, world):
    client = Client()
    assert _page(client, staff).status_code == 200 and _slots(client, staff).status_code == 200
    user = staff.membership.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _page(client, staff).status_code == 404 and _slots(client, staff).status_code == 404
    user.is_active = True
    user.save(update_fields=["is_active"])
    with org_scope(world.org_a):
        staff.membership.is_active = False
        staff.membership.save(update_fields=["is_active"])
    assert _page(client, staff).status_code == 404 and _slots(client, staff).status_code == 404


def test_pages_of_two_organizations_never_mix(world):
    staff_a = make_staff(world, world.org_a)
    staff_b = make_staff(world, world.org_b, role=Role.ADMIN, tz="America/Los_Angeles")
    with org_scope(world.org_b):
        services.appointment_type_update(membership=staff_b.membership, appointment_type=staff_b.type, name="B only call")
    client = Client()
    for _ in range(2):
        body_a = _page(client, staff_a).content.decode()
        body_b = _page(client, staff_b).content.decode()
        assert "Agency A" in body_a and "Agency B" not in body_a and "B only call" not in body_a
        assert "Agency B" in body_b and "Agency A" not in body_b and "B only call" in body_b


def test_page_is_rate_limited_on_every_request_hit_or_miss(staff):
    client = Client()
    statuses = [_page(client, staff).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


# --- Slots --------------------------------------------------------------------------------------


def test_second_slots_request_is_one_statement_and_the_same_json(staff):
    client = Client()
    first = _slots(client, staff)
    with CaptureQueriesContext(connection) as captured:
        second = _slots(client, staff)
    assert len(captured.captured_queries) == 1
    assert second.content == first.content and second["Content-Type"] == "application/json"


def test_a_booking_and_its_cancellation_show_on_the_next_slots_request(staff, world):
    client = Client()
    before = _starts(_slots(client, staff))
    taken = datetime.datetime.fromisoformat(before[0])
    with org_scope(world.org_a):
        appointment = book(staff, taken).appointment
    after = _starts(_slots(client, staff))
    assert before[0] not in after and len(after) < len(before)
    with org_scope(world.org_a):
        services.appointment_cancel(appointment=appointment)
    assert _starts(_slots(client, staff)) == before


def test_hours_and_overrides_show_on_the_next_slots_request(staff, world):
    client = Client()
    before = _starts(_slots(client, staff))
    first_day = datetime.datetime.fromisoformat(before[0]).astimezone(NY).date()
    with org_scope(world.org_a):
        override = services.date_override_add(membership=staff.membership, date=first_day)
    closed = _starts(_slots(client, staff))
    assert all(datetime.datetime.fromisoformat(s).astimezone(NY).date() != first_day for s in closed)
    with org_scope(world.org_a):
        services.date_override_delete(membership=staff.membership, override=override)
        services.availability_rule_add(
            membership=staff.membership, weekday=5, start_time=datetime.time(9), end_time=datetime.time(12)
        )
    opened = _starts(_slots(client, staff))
    assert set(before) < set(opened)  # a Saturday is in any 7 days


def test_type_duration_and_deactivation_show_on_the_next_slots_request(staff, world):
    client = Client()
    assert _slots(client, staff).json()["duration_minutes"] == 30
    with org_scope(world.org_a):
        services.appointment_type_update(membership=staff.membership, appointment_type=staff.type, duration_minutes=60)
    assert _slots(client, staff).json()["duration_minutes"] == 60
    with org_scope(world.org_a):
        services.appointment_type_update(membership=staff.membership, appointment_type=staff.type, is_active=False)
    response = _slots(client, staff)
    assert response.status_code == 400 and "Unknown appointment type" in response.json()["error"]


def test_slots_of_another_organizations_link_are_never_served(world):
    staff_a = make_staff(world, world.org_a)
    staff_b = make_staff(world, world.org_b, role=Role.ADMIN, tz="America/Los_Angeles")
    client = Client()
    assert _slots(client, staff_a).status_code == 200  # org A's entry is cached
    # org B's link asked for org A's type: a different entry, and the type is not B's.
    response = _slots(client, staff_b, type_id=staff_a.type.public_id)
    assert response.status_code == 400 and "Unknown appointment type" in response.json()["error"]
    assert _starts(_slots(client, staff_b)) != _starts(_slots(client, staff_a))


def test_cached_slots_stop_when_the_first_slot_starts_or_a_pending_hold_lapses(staff, world):
    """The entry's validity: the first slot's start, or the first lapse of a pending hold."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now + datetime.timedelta(days=1)
    with org_scope(world.org_a):
        slots, until = selectors.available_slots_exact_until(
            link=staff.link, appointment_type=staff.type, range_start=start, range_end=start + datetime.timedelta(days=7), now=now
        )
        assert until == epoch_us(slots[0].start)
        held = book(staff, slots[1].start, now=now).appointment
        _, until = selectors.available_slots_exact_until(
            link=staff.link, appointment_type=staff.type, range_start=start, range_end=start + datetime.timedelta(days=7), now=now
        )
    assert until == min(epoch_us(slots[0].start), epoch_us(held.expires_at))
    where = {"link_id": staff.link.pk, "type_id": staff.type.public_id, "tz_name": "UTC", "first": start.date(), "last": start.date()}
    now_us = epoch_us(now)
    assert booking_cache.slots_lookup(version=7, now_us=now_us, **where) is None
    booking_cache.slots_store(version=7, now_us=now_us, valid_until_us=now_us + 60_000_000, body=b"[]", **where)
    assert booking_cache.slots_lookup(version=7, now_us=now_us + 59_000_000, **where) == b"[]"
    assert booking_cache.slots_lookup(version=7, now_us=now_us + 60_000_000, **where) is None
    assert booking_cache.slots_lookup(version=8, now_us=now_us, **where) is None


def test_every_booking_write_moves_the_links_data_version(staff, world):
    def version():
        return BookingLink.objects.get(pk=staff.link.pk).data_version

    with org_scope(world.org_a):
        seen = [version()]

        def changed():
            seen.append(version())
            return seen[-1] > seen[-2]

        services.appointment_type_update(membership=staff.membership, appointment_type=staff.type, name="Renamed")
        assert changed()
        rule = services.availability_rule_add(
            membership=staff.membership, weekday=6, start_time=datetime.time(9), end_time=datetime.time(10)
        )
        assert changed()
        services.availability_rule_delete(membership=staff.membership, rule=rule)
        assert changed()
        override = services.date_override_add(membership=staff.membership, date=datetime.date(2031, 1, 6))
        assert changed()
        services.date_override_delete(membership=staff.membership, override=override)
        assert changed()
        appointment = book(staff, next_weekday_slot()).appointment
        assert changed()
        services.appointment_approve(membership=staff.membership, appointment=appointment, base_url="http://testserver")
        assert changed()
        services.appointment_reschedule(appointment=appointment, start=next_weekday_slot(hour=11), base_url="http://testserver")
        assert changed()
        services.appointment_cancel(appointment=appointment)
        assert changed()
        pending = book(staff, next_weekday_slot(hour=13)).appointment
        assert changed()
        services.pending_expire(now=pending.expires_at)
        assert changed()
        services.booking_link_update(membership=staff.membership, timezone_name="Europe/Paris", is_active=True)
        assert changed()
        services.booking_link_regenerate(membership=staff.membership)
        assert changed()


def test_slots_are_rate_limited_on_every_request_hit_or_miss(staff):
    client = Client()
    statuses = [_slots(client, staff).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_cached_page_is_what_the_template_renders_for_the_request(staff):
    """No context processor or request value was lost by rendering once without the request."""
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from booking.forms import BookingForm

    client = Client()
    _page(client, staff)
    cached = _page(client, staff).content.decode()
    request = RequestFactory().get(f"/book/{staff.link.slug}/")
    with org_scope(staff.link.organization):
        form = BookingForm(initial={"idempotency_key": uuid.uuid4(), "visitor_timezone": staff.link.organization.timezone})
        types = list(selectors.active_types(staff.membership))
        fresh = render_to_string("booking/public/book.html", views._page_context(staff.link, staff.link.slug, types, form), request=request)

    def strip(body):
        return re.sub(r'name="(csrfmiddlewaretoken|idempotency_key)" value="[^"]+"', "", body)

    assert strip(cached) == strip(fresh)
