#!/usr/bin/env python
"""Benchmark: requests/second of the open pixel against a bare Django view, same server, same run.

    DJANGO_ENV=test .venv/bin/python bench/tracking_pixel.py [--seconds 5] [--threads 8]

Creates a throwaway test database, queues one email (so a genuine open token exists), serves
the full middleware stack on Django's threaded WSGI server on 127.0.0.1, and drives it with a
threaded HTTP loop (one new connection per request, like mail clients) against a fixed pool
of server threads with persistent database connections (DB_CONN_MAX_AGE=60, as deployed) for each target:
  bare      a view returning b"ok" (no database), routed through the same middleware
  pixel     GET /tracking/open/<genuine token>/ (HMAC check, 1 lookup, 1 insert, 1 update), over 500 messages
  tampered  GET /tracking/open/<bad signature>/ (HMAC check only, then the GIF)
Prints req/s per target and pixel/bare. Not a test: numbers depend on the machine.
"""
import argparse
import http.client
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_ENV", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Persistent database connections, as in staging/production (the test profile closes them per request).
os.environ.setdefault("DB_CONN_MAX_AGE", "60")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import include, path  # noqa: E402


def bare(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare), path("", include("config.urls"))]


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class PooledWSGIServer(ThreadedWSGIServer):
    """A fixed pool of threads, like a production app server's workers: Django's connections are
    per thread, so a thread per request would pay a new PostgreSQL connection on every request."""

    pool_size = 8

    def process_request(self, request, client_address):
        self.executor.submit(self.process_request_thread, request, client_address)


MESSAGES = 500


def seed() -> list[str]:
    from messaging import services
    from tenants.models import Role
    from tenants.scope import org_scope
    from tenants.services import member_add, organization_create
    from tracking import tokens

    org = organization_create(name="Bench", slug="bench", timezone="UTC")
    with org_scope(org), transaction.atomic():
        member = member_add(organization=org, email="cm@bench.test", role=Role.CASE_MANAGER, password="bench-password-123")
        logs = [
            services.email_queue(
                organization_id=org.pk, idempotency_key=f"bench-{i}", to_email=f"reader{i}@bench.test", subject="Hi",
                body_html="<p>Hello</p>", sender=member,
            )[0]
            for i in range(MESSAGES)
        ]
    # Opens spread over many messages, as in real mail; one hot message would only measure row-lock waits.
    return [tokens.make("open", log.public_id) for log in logs]


def load(port: int, urls, seconds: float, threads: int) -> float:
    urls = [urls] if isinstance(urls, str) else urls
    counts = [0] * threads
    errors = [0] * threads
    stop = time.monotonic() + seconds

    def worker(index):
        n = index
        while time.monotonic() < stop:
            url = urls[n % len(urls)]
            n += threads
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", url, headers={"User-Agent": "Mozilla/5.0 (bench) Safari/605.1.15"})
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[index] += 1
                else:
                    errors[index] += 1
            except OSError:
                errors[index] += 1
            finally:
                conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    started = time.monotonic()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - started
    if sum(errors):
        print(f"  ({sum(errors)} non-200 answers or errors on {urls[0][:40]})")
    return sum(counts) / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        genuine = seed()
        tampered = [t[:-1] + ("A" if t[-1] != "A" else "B") for t in genuine]
        from concurrent.futures import ThreadPoolExecutor

        server = PooledWSGIServer(("127.0.0.1", 0), QuietHandler)
        server.executor = ThreadPoolExecutor(max_workers=args.threads)
        server.set_app(get_wsgi_application())
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        targets = {"bare": "/bench/bare/", "pixel": [f"/tracking/open/{t}/" for t in genuine],
                   "tampered": [f"/tracking/open/{t}/" for t in tampered]}
        for url in targets.values():  # warm-up
            load(port, url, 0.5, 2)
        results = {}
        for name, url in targets.items():
            results[name] = load(port, url, args.seconds, args.threads)
            print(f"{name:9s} {results[name]:8.0f} req/s")
        print(f"pixel/bare    {results['pixel'] / results['bare']:.2f}")
        print(f"tampered/bare {results['tampered'] / results['bare']:.2f}")
        print(f"({args.threads} threads, {args.seconds:.0f} s each, new connection per request, "
              f"database {connection.vendor}, a pool of {args.threads} server threads)")
        server.shutdown()
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
