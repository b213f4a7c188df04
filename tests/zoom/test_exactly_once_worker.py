"""Exactly once with a real Celery worker, Redis and the fake Zoom server.

Worker A takes the create task; the fake server creates the meeting and then holds the answer;
the test kills worker A with SIGKILL before it can finalise or acknowledge. Redis redelivers the
unacknowledged task to worker B, which finds the row still `creating`, waits out the lease,
looks the meeting up by our tracking field, finds it and finalises the row without creating
again. The fake server must hold exactly one meeting.
"""
import pytest

from integrations.zoom.models import ZoomMeeting
from tests.celery_worker import Worker, broker, wait_for, worker_env  # noqa: F401 (broker is a fixture)
from tests.zoom.conftest import connect_zoom
from tests.zoom.fake_zoom import FakeZoom
from tests.zoom.helpers import case_manager, request_meeting

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 4


def test_worker_killed_after_zoom_created_the_meeting_redelivers_and_creates_exactly_once(world, broker, tmp_path):
    fake = FakeZoom().start()
    fake.script = ["hang"]  # create the meeting, signal, never answer worker A
    workers = []
    try:
        member = case_manager(world, world.org_a)
        connect_zoom(member)
        env = worker_env(
            broker,
            ZOOM_API_BASE_URL=fake.base_url,
            ZOOM_HTTP_TIMEOUT="60",  # worker A must still be waiting for the answer when it is killed
            ZOOM_CREATE_LEASE_SECONDS=str(LEASE_SECONDS),
            ZOOM_RETRY_BASE_SECONDS="0.2",
        )
        worker_a = Worker("zoom-a", env, tmp_path)
        workers.append(worker_a)
        worker_a.wait_ready()

        meeting = request_meeting(world, member)  # commits (transactional test): on_commit publishes to Redis
        assert fake.created_event.wait(60), f"worker A never called Zoom:\n{worker_a.output()[-3000:]}"
        worker_a.kill9()  # the meeting exists on Zoom; the task was neither finalised nor acknowledged
        row = ZoomMeeting._base_manager.get(pk=meeting.pk)
        assert row.status == ZoomMeeting.Status.CREATING and row.attempts == 1
        fake.script = []  # from now on Zoom would accept (and create) any further meeting
        fake.release.set()

        worker_b = Worker("zoom-b", env, tmp_path)
        workers.append(worker_b)
        worker_b.wait_ready()
        wait_for(
            lambda: ZoomMeeting._base_manager.get(pk=meeting.pk).status == ZoomMeeting.Status.CREATED,
            timeout=90, what="the redelivered task to finalise the meeting", worker=worker_b,
        )
        final = ZoomMeeting._base_manager.get(pk=meeting.pk)
        assert len(fake.meetings) == 1, "Zoom holds more than one meeting"
        assert fake.creates() == 1
        assert final.zoom_meeting_id == str(fake.meetings[0]["id"]) and final.attempts == 1
        assert final.join_url == fake.meetings[0]["join_url"] and final.join_url
        assert fake.count("GET", "/v2/users/me/meetings") >= 1  # reconciled by listing...
        assert fake.count("GET", f"/v2/meetings/{fake.meetings[0]['id']}") >= 1  # ...and reading the tracking field
        assert "zoom.create_meeting" in worker_b.output()  # worker B really ran the redelivered task
    finally:
        for worker in workers:
            worker.stop()
        fake.stop()
