"""Exactly once with a real Celery worker, Redis and the fake Gmail server.

Worker A takes the send task; the fake server records the message and then holds the answer;
the test kills worker A with SIGKILL before it can finalise or acknowledge. Redis redelivers
the unacknowledged task (short visibility_timeout) to worker B, which finds the row still
`sending`, waits out the lease, searches the mailbox for our Message-ID, finds the message and
marks it sent without sending again. The fake server must hold exactly one message.
"""
import pytest

from messaging import services
from messaging.models import EmailLog
from tenants.models import Role
from tenants.scope import org_scope
from tests.celery_worker import Worker, broker, wait_for, worker_env  # noqa: F401 (broker is a fixture)
from tests.messaging.conftest import connect_gmail, make_surrogate
from tests.messaging.fake_gmail import FakeGmail

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 4


def _worker_env(fake, broker) -> dict:
    return worker_env(
        broker,
        GMAIL_API_BASE_URL=fake.base_url,
        GMAIL_HTTP_TIMEOUT="60",  # worker A must still be waiting for the answer when it is killed
        EMAIL_SEND_LEASE_SECONDS=str(LEASE_SECONDS),
        EMAIL_RETRY_BASE_SECONDS="0.2",
    )


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
        wait_for(
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
