"""No double booking under real concurrency: many POSTs for one slot from separate connections."""
import threading
import uuid

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client

from booking.models import Appointment, AppointmentStatus
from tenants.scope import org_scope
from tests.booking.helpers import book, make_staff, next_weekday_slot

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 12


def test_concurrent_posts_for_one_slot_make_exactly_one_appointment(world):
    staff = make_staff(world, world.org_a)
    start = next_weekday_slot()
    url = f"/book/{staff.link.slug}/"
    barrier = threading.Barrier(THREADS)
    statuses, errors = [], []

    def visitor(index):
        try:
            client = Client(REMOTE_ADDR=f"10.0.0.{index + 1}")  # separate IPs: the rate limit is not the test
            data = {
                "appointment_type": str(staff.type.public_id),
                "slot_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "visitor_timezone": "America/Chicago",
                "name": f"Visitor {index}",
                "email": f"v{index}@example.com",
                "idempotency_key": str(uuid.uuid4()),
            }
            barrier.wait()
            response = client.post(url, data)
            statuses.append((response.status_code, "no longer available" in response.content.decode()))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=visitor, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(code for code, _ in statuses) == [201] + [409] * (THREADS - 1)
    assert all(says for code, says in statuses if code == 409)
    with org_scope(world.org_a):
        assert Appointment.objects.filter(start_at=start).count() == 1


def test_the_database_refuses_overlap_even_when_the_app_check_is_skipped(world):
    staff = make_staff(world, world.org_a)
    start = next_weekday_slot()
    with org_scope(world.org_a):
        first = book(staff, start).appointment
        clone = Appointment.objects.get(pk=first.pk)
        clone.pk = None
        clone.public_id = uuid.uuid4()
        clone.idempotency_key = uuid.uuid4()
        clone.manage_token_hash = "x" * 64
        clone.start_at = start + (clone.end_at - clone.start_at) / 2
        clone.end_at = clone.start_at + (first.end_at - first.start_at)
        clone.blocked_start, clone.blocked_end = clone.start_at, clone.end_at
        with pytest.raises(IntegrityError), transaction.atomic():
            clone.save()
        # Once the first is no longer active, the same row is accepted.
        Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.CANCELLED)
        clone.save()
    assert connection.vendor == "postgresql"


def test_concurrent_double_click_with_one_key_makes_one_booking(world):
    staff = make_staff(world, world.org_a)
    start = next_weekday_slot()
    data = {
        "appointment_type": str(staff.type.public_id),
        "slot_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "visitor_timezone": "America/Chicago",
        "name": "Double Clicker",
        "email": "dc@example.com",
        "idempotency_key": str(uuid.uuid4()),
    }
    barrier = threading.Barrier(4)
    pages = []

    def click():
        try:
            barrier.wait()
            response = Client().post(f"/book/{staff.link.slug}/", data)
            pages.append((response.status_code, response.content.decode()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with org_scope(world.org_a):
        (appointment,) = Appointment.objects.all()
    assert sorted(code for code, _ in pages) == [200, 200, 200, 201]
    assert all(str(appointment.public_id) in body for _, body in pages)
