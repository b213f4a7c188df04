"""A real Celery worker in a subprocess, on this run's own corner of the local Redis, for the
exactly-once tests (kill it with SIGKILL mid-call, start another, watch the redelivery)."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[1]
VISIBILITY_TIMEOUT = 3


def db_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(self, name, env, log_dir):
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--concurrency=1",
                "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h", "-l", "INFO",
            ],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"worker did not start:\n{self.output()[-3000:]}")

    def kill9(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()


def drop_broker_connections():
    """Forget pooled broker connections and producers, so the next publish uses the current options
    (earlier eager tests may have built a producer pool with the default ones)."""
    celery_app._pool = None  # not close(): that deregisters the app and later tasks stop resolving
    amqp = celery_app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


@pytest.fixture
def broker(tmp_path):
    """This run's own corner of the local Redis: a key prefix nobody else uses."""
    url = settings.CELERY_BROKER_URL
    prefix = f"cradle-test-{os.getpid()}-{uuid.uuid4().hex[:8]}:"
    options = {"visibility_timeout": VISIBILITY_TIMEOUT, "global_keyprefix": prefix}
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_transport_options")}
    drop_broker_connections()
    celery_app.conf.update(task_always_eager=False, broker_url=url, broker_transport_options=options)
    yield {"url": url, "prefix": prefix}
    drop_broker_connections()
    celery_app.conf.update(**saved)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def worker_env(broker, **extra) -> dict:
    """The worker's environment: the test database, this run's broker prefix, fast redelivery."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        DJANGO_ENV="test",
        DJANGO_ENV_FILE="",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=db_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_BROKER_URL=broker["url"],
        CELERY_BROKER_KEY_PREFIX=broker["prefix"],
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        **extra,
    )
    return env


def wait_for(predicate, timeout, what, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    detail = f"\n--- worker log ---\n{worker.output()[-4000:]}" if worker else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")
