"""How the app is served in staging/production (`gunicorn -c config/gunicorn.conf.py config.wsgi`),
and by the benchmark (bench/load.py), so what is measured is what runs.

gthread workers: requests wait on PostgreSQL, Redis and clamd, and threads overlap those waits.
One process per core (Python runs one thread at a time per process) with 2 threads each: with 4,
the threads of a process mostly queued for its lock, and the list page at 8 connections did
156 req/s against 171-174 with 2 (and 159-162 with 4x2 or 3x2 on 2 cores; bench/README.md).

reuse_port: every worker gets its own listening socket and the kernel spreads new connections
over them. With one shared socket, whichever worker accepts first keeps a client's keep-alive
connections, so a proxy's (or wrk's) few long-lived connections can all land on one worker and
leave the other cores idle: measured with wrk at 8 connections, the list page went from 71-77
to 134-139 req/s with nothing else changed (bench/README.md).
"""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
reuse_port = True
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
backlog = int(os.environ.get("GUNICORN_BACKLOG", "256"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "warning")
