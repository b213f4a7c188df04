"""A burst of 200 distinct signed leadgen webhooks, posted concurrently to a real server.

Outcome assertions only (200 rows, 200 surrogates, no duplicates, no 5xx). The per-request
acknowledgement latency is printed (p50/p99), never asserted: speed targets live in bench/.
Two shapes: with a real Celery worker on this run's own Redis prefix (the acknowledgement is the
durable insert plus the enqueue, as in production), and eager (the test profile's default, where
each acknowledgement also includes the Graph lookup and the surrogate creation).
"""
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations.meta.models import MetaLead
from integrations.meta.signature import sign
from surrogates.models import Source, Surrogate
from tenants.scope import org_scope, unscoped
from tests.celery_worker import Worker, broker, wait_for, worker_env  # noqa: F401 (broker is a fixture)
from tests.integrations_meta.conftest import APP_SECRET, PAGE_A, PAGE_B, body_of, leadgen_payload

pytestmark = [pytest.mark.postgres]

BURST = 200
CLIENT_THREADS = 20  # concurrent senders; bounded so a shared PostgreSQL keeps connections to spare


def _percentile(values, pct):
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def _burst(url):
    """POST BURST distinct deliveries with CLIENT_THREADS senders, then 50 of them again."""
    bodies = [
        body_of(leadgen_payload((PAGE_A if i % 2 == 0 else PAGE_B, str(5_000_000 + i)))) for i in range(BURST)
    ]
    local = threading.local()

    def post(body):
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = session.post(
            url, data=body, headers={"Content-Type": "application/json", "X-Hub-Signature-256": sign(body, APP_SECRET)}, timeout=60
        )
        return response.status_code, time.perf_counter() - started

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        results = list(pool.map(post, bodies))
    wall = time.perf_counter() - wall
    # Meta redelivers: the same 50 deliveries again, concurrently, must add nothing.
    with ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool:
        redelivered = list(pool.map(post, bodies[:50]))
    statuses = [status for status, _ in results + redelivered]
    assert not [s for s in statuses if s >= 500], "5xx during the burst"
    assert statuses == [200] * len(statuses)
    return [seconds * 1000 for _, seconds in results], wall


def _assert_one_surrogate_per_lead(world, fake_graph):
    with unscoped():
        assert MetaLead.objects.count() == BURST
        assert MetaLead.objects.values("leadgen_id").distinct().count() == BURST
        assert set(MetaLead.objects.values_list("status", flat=True)) == {MetaLead.Status.CREATED}
        assert MetaLead.objects.values("surrogate_id").distinct().count() == BURST
    per_org = {}
    for org in (world.org_a, world.org_b):
        with org_scope(org):
            emails = [s.email for s in Surrogate.objects.filter(source=Source.META)]
            per_org[org.slug] = len(emails)
            assert len(emails) == len(set(emails)) == BURST // 2
    assert len({r["leadgen_id"] for r in fake_graph.lead_requests}) == BURST
    return per_org


def _report(capsys, label, latencies_ms, wall, per_org):
    with capsys.disabled():
        print(
            f"\n[meta burst, {label}] {BURST} webhooks, {CLIENT_THREADS} concurrent senders, wall {wall:.2f}s "
            f"({BURST / wall:.0f} req/s); ack latency p50 {statistics.median(latencies_ms):.1f} ms, "
            f"p99 {_percentile(latencies_ms, 99):.1f} ms, max {max(latencies_ms):.1f} ms; surrogates per org {per_org}"
        )


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_burst_of_200_signed_webhooks_with_a_real_worker(live_server, world, pages, fake_graph, settings, broker, tmp_path, capsys):
    settings.META_WEBHOOK_RATE = "100000/m"  # one test client IP sends all 200; the limit is tested elsewhere
    latencies_ms, wall = _burst(live_server.url + "/webhooks/meta/")
    with unscoped():
        assert MetaLead.objects.count() == BURST  # durable before the 200s, whatever the worker does
    worker = Worker(
        "meta-burst",
        worker_env(broker, META_GRAPH_BASE_URL=fake_graph.base_url, META_APP_SECRET=APP_SECRET, META_HTTP_TIMEOUT="5"),
        tmp_path,
    )
    try:
        worker.wait_ready()

        def all_processed():
            with unscoped():
                return not MetaLead.objects.filter(status=MetaLead.Status.RECEIVED).exists()

        wait_for(all_processed, 240, "the worker to process 200 leads", worker)
    finally:
        worker.stop()
    per_org = _assert_one_surrogate_per_lead(world, fake_graph)
    _report(capsys, "ack = insert + enqueue, real worker", latencies_ms, wall, per_org)


@pytest.mark.django_db(transaction=True)
def test_burst_of_200_signed_webhooks_eager(live_server, world, pages, fake_graph, settings, capsys):
    settings.META_WEBHOOK_RATE = "100000/m"
    latencies_ms, wall = _burst(live_server.url + "/webhooks/meta/")
    per_org = _assert_one_surrogate_per_lead(world, fake_graph)
    _report(capsys, "eager: ack includes Graph lookup + surrogate", latencies_ms, wall, per_org)
