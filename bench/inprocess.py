"""Measurements taken inside one Python process against the bench database (no HTTP server).

- queries per request (and their SQL time): Django's test client with CaptureQueriesContext;
- the list page's time against (floor + its own SQL): medians of single requests, no concurrency;
- tenant scoping overhead: the scoped manager against the same query filtered by hand;
- slots: booking.selectors.available_slots for 30 days with 1,000 appointments.
"""
import datetime
import random
import statistics
import time

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext


def _client(cookie: str = "") -> Client:
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    if cookie:
        name, value = cookie.split("=", 1)
        client.cookies[name] = value
    return client


def _get(client, path, *, xff: bool, method="GET", body=b"", headers=None):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in (headers or {}).items() if k.lower() != "content-type"}
    if xff:
        extra["HTTP_X_FORWARDED_FOR"] = f"10.250.{random.randrange(256)}.{random.randrange(256)}"
    if method == "POST":
        content_type = (headers or {}).get("Content-Type", "application/octet-stream")
        return client.post(path, data=body, content_type=content_type, **extra)
    return client.get(path, **extra)


def queries_per_request(scenario, runs: int = 5) -> dict:
    """Statements per request (max over a few runs, after one warm-up) and the median SQL and wall time."""
    client = _client(scenario.cookie)
    counts, sql_ms, wall_ms, statuses = [], [], [], set()
    for index in range(runs + 1):
        path = scenario.paths[index % len(scenario.paths)]
        body, headers = scenario.body, dict(scenario.headers)
        if scenario.signed_bodies:  # the last few deliveries; wrk starts from the first
            signature, body = scenario.signed_bodies[-(index + 1)]
            headers["X-Hub-Signature-256"] = signature
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = _get(client, path, xff=scenario.xff, method=scenario.method, body=body, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
        if index == 0:
            continue  # warm-up: first-use caches (templates, URL resolver, content types)
        statuses.add(response.status_code)
        counts.append(len(captured.captured_queries))
        sql_ms.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        wall_ms.append(elapsed)
    reset_queries()
    return {"queries": max(counts), "sql_ms": statistics.median(sql_ms), "wall_ms": statistics.median(wall_ms),
            "statuses": sorted(statuses)}


def scoping_overhead(org, iterations: int = 600) -> dict:
    """Same 50-row page of the 300k org: scoped manager vs an unscoped query with the org filter by hand.

    Both run the identical SQL (checked); the difference is the manager's work per queryset.
    Runs are interleaved in pairs so the machine's drift lands on both sides alike; the ratio is
    of the medians (the median of per-pair ratios is kept too). Also reported: the ORM-only cost
    (build and compile the SQL, no database) of each, in microseconds.
    """
    from surrogates.models import Surrogate
    from tenants.scope import org_scope, unscoped

    def scoped_qs():
        return Surrogate.objects.filter(archived_at__isnull=True).order_by("-created_at", "-id")[:50]

    def hand_qs():
        return (Surrogate.objects.filter(organization_id=org.pk).filter(archived_at__isnull=True)
                .order_by("-created_at", "-id")[:50])

    def scoped():
        with org_scope(org):
            return list(scoped_qs())

    def by_hand():
        with unscoped():
            return list(hand_qs())

    with org_scope(org):
        scoped_sql = str(scoped_qs().query)
    with unscoped():
        hand_sql = str(hand_qs().query)
    samples = {"scoped": [], "by_hand": []}
    ratios = []
    for fn in (scoped, by_hand):
        fn()
    for index in range(iterations):
        pair = (("scoped", scoped), ("by_hand", by_hand)) if index % 2 else (("by_hand", by_hand), ("scoped", scoped))
        timing = {}
        for name, fn in pair:
            started = time.perf_counter()
            fn()
            timing[name] = time.perf_counter() - started
            samples[name].append(timing[name])
        ratios.append(timing["scoped"] / timing["by_hand"])

    orm = {"scoped": [], "by_hand": []}
    for index in range(4000):  # interleaved too: build and compile the SQL, no database
        name, enter, build = ("scoped", lambda: org_scope(org), scoped_qs) if index % 2 else (
            "by_hand", unscoped, hand_qs)
        with enter():
            started = time.perf_counter()
            str(build().query)
            orm[name].append(time.perf_counter() - started)

    scoped_ms = statistics.median(samples["scoped"]) * 1000
    hand_ms = statistics.median(samples["by_hand"]) * 1000
    return {"scoped_ms": scoped_ms, "by_hand_ms": hand_ms, "ratio": scoped_ms / hand_ms,
            "median_pair_ratio": statistics.median(ratios), "same_sql": scoped_sql == hand_sql,
            "iterations": iterations,
            "orm_only_scoped_us": statistics.median(orm["scoped"]) * 1e6,
            "orm_only_by_hand_us": statistics.median(orm["by_hand"]) * 1e6}


def slots_compute(org, booking: list[dict], runs: int = 30) -> dict:
    """available_slots() for 30 days for a staff member with 1,000 appointments (median of runs)."""
    from booking import selectors
    from booking.models import Appointment, AppointmentType, BookingLink
    from tenants.scope import org_scope

    entry = booking[0]
    with org_scope(org):
        link = BookingLink.objects.select_related("membership").get(slug=entry["slug"])
        kind = AppointmentType.objects.get(public_id=entry["type"])
        appointments = Appointment.objects.filter(membership_id=link.membership_id).count()
        start = datetime.datetime.combine(datetime.date.today() + datetime.timedelta(days=1),
                                          datetime.time()).replace(tzinfo=link.tzinfo)
        end = start + datetime.timedelta(days=30)
        samples, slots = [], []
        for _ in range(runs + 1):
            started = time.perf_counter()
            slots = selectors.available_slots(link=link, appointment_type=kind, range_start=start, range_end=end)
            samples.append((time.perf_counter() - started) * 1000)
    samples = sorted(samples[1:])
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))],
            "appointments": appointments, "slots": len(slots), "runs": runs}
