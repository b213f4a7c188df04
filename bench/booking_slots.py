#!/usr/bin/env python
"""Benchmark: compute a 30-day window of slots for a staff member with 1,000 appointments.

    DJANGO_ENV=test .venv/bin/python bench/booking_slots.py [--runs 30]

Creates a throwaway test database (PostgreSQL from DATABASE_URL, default the local one; the
test profile's per-process name), seeds one staff member with hours every day 08:00-20:00 and
1,000 confirmed 30-minute appointments (500 inside the measured window, 500 before it), then
times `booking.selectors.available_slots` (the query plus generation) and the full
GET /book/<slug>/slots/ through Django's test client. Prints median / p95 / max in ms.
Not a test: numbers depend on the machine.
"""
import argparse
import datetime
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

APPOINTMENTS = 1000
WINDOW_DAYS = 30


def seed():
    from booking import services
    from booking.models import Appointment, AppointmentStatus
    from tenants.models import Role
    from tenants.scope import org_scope
    from tenants.services import member_add, organization_create

    org = organization_create(name="Bench Agency", slug="bench", timezone="America/New_York")
    with org_scope(org):
        member = member_add(organization=org, email="staff@bench.test", role=Role.CASE_MANAGER, password="x" * 16)
        link = services.booking_link_ensure(membership=member)
        appointment_type = services.appointment_type_create(membership=member, name="Call", duration_minutes=30)
        for weekday in range(7):
            services.availability_rule_add(
                membership=member, weekday=weekday, start_time=datetime.time(8), end_time=datetime.time(20)
            )
        tz = link.tzinfo
        today = datetime.datetime.now(tz).date() + datetime.timedelta(days=1)
        rng = random.Random(5)
        # Whole-hour starts, any hour of the day (hours may have changed since they were booked);
        # a 30 min meeting + 5 min buffer never overlaps the next hour's.
        inside = [(today + datetime.timedelta(days=d), h) for d in range(WINDOW_DAYS) for h in range(24)]
        before = [(today - datetime.timedelta(days=1 + d), h) for d in range(90) for h in range(8, 20)]
        picks = rng.sample(inside, APPOINTMENTS // 2) + rng.sample(before, APPOINTMENTS - APPOINTMENTS // 2)
        rows = []
        for day, hour in picks:
            start = datetime.datetime.combine(day, datetime.time(hour)).replace(tzinfo=tz).astimezone(datetime.timezone.utc)
            end = start + datetime.timedelta(minutes=30)
            rows.append(
                Appointment(
                    organization=org, membership=member, appointment_type=appointment_type,
                    status=AppointmentStatus.CONFIRMED, start_at=start, end_at=end,
                    blocked_start=start, blocked_end=end + datetime.timedelta(minutes=5),
                    meeting_mode="zoom", visitor_name="Bench Visitor", visitor_email="v@bench.test",
                    visitor_email_hash="", visitor_timezone="Europe/Paris", idempotency_key=uuid.uuid4(),
                    manage_token_hash=uuid.uuid4().hex + uuid.uuid4().hex, manage_token_expires_at=end,
                )
            )
        Appointment.objects.bulk_create(rows, batch_size=500)
        return org, link, appointment_type, today


def timed(fn, runs):
    samples = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    return {"median": statistics.median(samples), "p95": p95, "max": samples[-1]}, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from booking import selectors
        from booking.models import Appointment
        from tenants.scope import org_scope

        org, link, appointment_type, first_day = seed()
        tz = link.tzinfo
        start = datetime.datetime.combine(first_day, datetime.time()).replace(tzinfo=tz)
        end = start + datetime.timedelta(days=WINDOW_DAYS)
        with org_scope(org):
            count = Appointment.objects.count()
            link = type(link).objects.select_related("membership").get(pk=link.pk)
            stats, slots = timed(
                lambda: selectors.available_slots(link=link, appointment_type=appointment_type, range_start=start, range_end=end),
                args.runs,
            )
        client = Client()
        query = {
            "type": str(appointment_type.public_id),
            "start": first_day.isoformat(),
            "end": (first_day + datetime.timedelta(days=WINDOW_DAYS - 1)).isoformat(),
            "tz": "Europe/Paris",
        }
        http_runs = min(args.runs, 50)  # the page+slots limit is 60/min per IP

        def http():
            response = client.get(f"/book/{link.slug}/slots/", query)
            assert response.status_code == 200, response.status_code
            return response

        http_stats, response = timed(http, http_runs)
        print(f"database: {connection.vendor}; appointments for the staff member: {count} "
              f"({APPOINTMENTS // 2} inside the {WINDOW_DAYS}-day window)")
        print(f"slots offered in the window: {len(slots)} (JSON: {len(response.json()['slots'])})")
        print(f"available_slots(), {args.runs} runs: median {stats['median']:.1f} ms, p95 {stats['p95']:.1f} ms, max {stats['max']:.1f} ms")
        print(f"GET /book/<slug>/slots/ (30 days, tz=Europe/Paris), {http_runs} runs: median {http_stats['median']:.1f} ms, "
              f"p95 {http_stats['p95']:.1f} ms, max {http_stats['max']:.1f} ms")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
