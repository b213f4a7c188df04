"""Exactly once with a real Celery worker, Redis and the fake Gmail server.

Worker A takes the send task; the fake server records the message and then holds the answer;
the test kills worker A with SIGKILL before it can finalise or acknowledge. Redis redelivers
the unacknowledged task (short visibility_timeout) to worker B, which finds the row still
`sending`, waits out the lease, searches the mailbox for our Message-ID, finds the message and
marks it sent without sending again. The fake server must hold exactly one message.
"""
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
from messaging import services
from messaging.models import EmailLog
from tenants.models import Role
from tenants.scope import org_scope
from tests.messaging.conftest import connect_gmail, make_surrogate
from tests.messaging.fake_gmail import FakeGmail

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
VISIBILITY_TIMEOUT = 3
LEASE_SECONDS = 4


def _db_url() -> str:
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


def _drop_broker_connections():
    """Forget pooled broker connections and producers, so the next publish uses the current options
    (earlier eager tests may have built a producer pool with the default ones)."""
    celery_app.close()
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
    _drop_broker_connections()
    celery_app.conf.update(task_always_eager=False, broker_url=url, broker_transport_options=options)
    yield {"url": url, "prefix": prefix}
    _drop_broker_connections()
    celery_app.conf.update(**saved)
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)


def _worker_env(fake, broker) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))}
    env.update(
        DJANGO_ENV="test",
        DJANGO_ENV_FILE="",
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=_db_url(),
        CELERY_TASK_ALWAYS_EAGER="false",
        CELERY_BROKER_URL=broker["url"],
        CELERY_BROKER_KEY_PREFIX=broker["prefix"],
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        GMAIL_API_BASE_URL=fake.base_url,
        GMAIL_HTTP_TIMEOUT="60",  # worker A must still be waiting for the answer when it is killed
        EMAIL_SEND_LEASE_SECONDS=str(LEASE_SECONDS),
        EMAIL_RETRY_BASE_SECONDS="0.2",
    )
    return env


def _wait_for(predicate, timeout, what, worker=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    detail = f"\n--- worker log ---\n{worker.output()[-4000:]}" if worker else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


def test_worker_killed_after_gmail_recorded_the_send_redelivers_and_sends_exactly_once(world, broker, tmp_path):
    fake = FakeGmail().start()
    fake.script = ["hang"]  # record the message, signal, never answer worker A
    workers = []
    try:
        member = world.member(world.org_a, Role.CASE_MANAGER)
        connect_gmail(member)
        surrogate = make_surrogate(world, world.org_a)
        env = _worker_env(fake, broker)
        worker_a = Worker("a", env, tmp_path)
        workers.append(worker_a)
        worker_a.wait_ready()

        with org_scope(world.org_a):  # commits (transactional test): on_commit publishes to Redis
            log = services.email_send(
                membership=member, surrogate=surrogate, subject="Hello", body_html="<p>Hi</p>", idempotency_key="once"
            )
        assert fake.sent_event.wait(60), f"worker A never called Gmail:\n{worker_a.output()[-3000:]}"
        worker_a.kill9()  # the message is in the mailbox; the task was neither finalised nor acknowledged
        assert EmailLog._base_manager.get(pk=log.pk).state == EmailLog.State.SENDING
        fake.script = []  # from now on Gmail would accept (and record) any further send
        fake.release.set()

        worker_b = Worker("b", env, tmp_path)
        workers.append(worker_b)
        worker_b.wait_ready()
        _wait_for(
            lambda: EmailLog._base_manager.get(pk=log.pk).state == EmailLog.State.SENT,
            timeout=90, what="the redelivered task to finalise the message", worker=worker_b,
        )
        final = EmailLog._base_manager.get(pk=log.pk)
        assert len(fake.messages) == 1, "Gmail holds more than one copy"
        assert fake.sends() == 1
        assert final.provider_message_id == fake.messages[0]["id"] and final.attempts == 1
        assert any(method == "GET" and "rfc822msgid" in path for method, path in fake.requests)
        assert "messaging.send_email" in worker_b.output()  # worker B really ran the redelivered task
    finally:
        for worker in workers:
            worker.stop()
        fake.stop()
