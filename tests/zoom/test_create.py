"""Creating a meeting through the task (eager) against the fake Zoom server: the bytes Zoom
receives, retries, reconciliation of ambiguous failures, and reconnect-needed."""
import json

import pytest
from django.db import connection

from integrations.connections.models import OAuthConnection
from integrations.zoom import services
from integrations.zoom.models import ZoomMeeting
from tenants.models import ActivityEvent
from tenants.scope import org_scope
from tests.zoom.conftest import ZOOM_TOKEN, connect_zoom
from tests.zoom.helpers import case_manager, future_start, request_meeting

pytestmark = pytest.mark.django_db


def _row(meeting):
    return ZoomMeeting._base_manager.get(pk=meeting.pk)


@pytest.fixture
def member(world):
    member = case_manager(world, world.org_a)
    connect_zoom(member)
    return member


def test_create_sends_topic_start_and_tracking_field(world, member, fake_zoom, django_capture_on_commit_callbacks):
    start = future_start()
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member, topic="Intake call", start=start)
    assert len(fake_zoom.create_bodies) == 1
    sent = json.loads(fake_zoom.create_bodies[0])
    assert sent["topic"] == "Intake call"
    assert sent["type"] == 2
    assert sent["start_time"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sent["duration"] == 45 and sent["timezone"] == "America/Chicago"
    assert sent["tracking_fields"] == [{"field": "cradle_request", "value": _row(meeting).idempotency_key}]
    assert fake_zoom.meetings[0]["token"] == ZOOM_TOKEN
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.CREATED and row.attempts == 1
    assert row.zoom_meeting_id == str(fake_zoom.meetings[0]["id"])
    assert row.join_url == fake_zoom.meetings[0]["join_url"]
    assert row.start_url == fake_zoom.meetings[0]["start_url"]
    assert not any(method == "GET" for method, _ in fake_zoom.requests)  # nothing to reconcile
    with org_scope(world.org_a):
        actions = list(ActivityEvent.objects.filter(target_id=str(row.public_id)).values_list("action", flat=True))
    assert sorted(actions) == ["zoom_meeting.created", "zoom_meeting.requested"]


def test_start_url_and_join_url_are_ciphertext_in_the_database(world, member, fake_zoom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    with connection.cursor() as cursor:
        cursor.execute("SELECT start_url, join_url, topic FROM zoom_zoommeeting WHERE id = %s", [meeting.pk])
        raw = cursor.fetchone()
    assert all(value and "zoom.example" not in value and "Intake" not in value for value in raw)


def test_500_then_success_reconciles_then_creates_one_meeting(world, member, fake_zoom, django_capture_on_commit_callbacks):
    fake_zoom.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.CREATED and row.attempts == 2
    assert fake_zoom.creates() == 2 and len(fake_zoom.meetings) == 1
    # A 500 may hide a created meeting: the list was searched before the second create.
    assert fake_zoom.count("GET", "/v2/users/me/meetings") == 1


def test_503_is_not_created_and_retried_without_reconciling(world, member, fake_zoom, django_capture_on_commit_callbacks):
    fake_zoom.script = [503, 429]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.CREATED and row.attempts == 3
    assert fake_zoom.creates() == 3 and len(fake_zoom.meetings) == 1
    assert fake_zoom.count("GET") == 0


def test_timeout_after_zoom_created_it_is_reconciled_without_a_second_create(
    world, member, fake_zoom, django_capture_on_commit_callbacks
):
    fake_zoom.script = [("slow", 2.5)]  # created at once, answered after the client's 1 s timeout
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert fake_zoom.creates() == 1 and len(fake_zoom.meetings) == 1
    assert row.status == ZoomMeeting.Status.CREATED and row.attempts == 1
    assert row.join_url == fake_zoom.meetings[0]["join_url"]
    assert fake_zoom.count("GET", f"/v2/meetings/{fake_zoom.meetings[0]['id']}") == 1


def test_reconcile_finds_the_meeting_by_its_agenda_when_the_account_drops_tracking_fields(
    world, member, fake_zoom, django_capture_on_commit_callbacks
):
    fake_zoom.keeps_tracking_fields = False  # an account whose admin never defined our tracking field
    fake_zoom.script = [("slow", 2.5)]  # created at once, answered after the client's timeout
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert fake_zoom.creates() == 1 and len(fake_zoom.meetings) == 1
    assert fake_zoom.meetings[0]["tracking_fields"] == []
    assert row.status == ZoomMeeting.Status.CREATED and row.join_url == fake_zoom.meetings[0]["join_url"]


def test_reconcile_ignores_other_meetings_at_the_same_time(world, member, fake_zoom, django_capture_on_commit_callbacks):
    start = future_start()
    with django_capture_on_commit_callbacks(execute=True):
        first = request_meeting(world, member, start=start)  # same start and topic, another key
    fake_zoom.script = [500]
    with django_capture_on_commit_callbacks(execute=True):
        second = request_meeting(world, member, start=start)
    assert _row(second).status == ZoomMeeting.Status.CREATED
    assert _row(second).zoom_meeting_id != _row(first).zoom_meeting_id
    assert len(fake_zoom.meetings) == 2 and len(fake_zoom.meeting_with(_row(second).idempotency_key)) == 1


def test_failed_reconcile_never_creates_blindly(world, member, fake_zoom, django_capture_on_commit_callbacks):
    fake_zoom.script = [500]
    fake_zoom.list_script = [500] * 20  # Zoom cannot tell us whether the first create landed
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.CREATING and "reconcile failed" in row.failure_reason
    assert fake_zoom.creates() == 1


def test_bad_request_is_permanent(world, member, fake_zoom, django_capture_on_commit_callbacks):
    fake_zoom.script = [400]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.FAILED and "400" in row.failure_reason
    assert fake_zoom.creates() == 1


def test_gives_up_after_three_not_created_answers(world, member, fake_zoom, django_capture_on_commit_callbacks):
    fake_zoom.script = [503, 503, 503, 503]
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.FAILED and row.attempts == services.MAX_ATTEMPTS
    assert fake_zoom.creates() == services.MAX_ATTEMPTS and fake_zoom.meetings == []


def test_revoked_connection_fails_the_row_without_calling_zoom_or_retrying(
    world, member, fake_zoom, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        meeting = request_meeting(world, member)
    with org_scope(world.org_a):
        OAuthConnection.objects.filter(membership=member).update(status=OAuthConnection.Status.RECONNECT_NEEDED)
    for callback in callbacks:
        callback()
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.FAILED and row.failure_reason == services.RECONNECT_MESSAGE
    assert fake_zoom.requests == []  # the token was refused before any call: nothing reached Zoom


def test_401_marks_the_connection_and_stops(world, member, fake_zoom, django_capture_on_commit_callbacks):
    fake_zoom.valid_tokens = {"another-token"}
    with django_capture_on_commit_callbacks(execute=True):
        meeting = request_meeting(world, member)
    row = _row(meeting)
    assert row.status == ZoomMeeting.Status.FAILED and row.failure_reason == services.RECONNECT_MESSAGE
    assert fake_zoom.creates() == 1
    with org_scope(world.org_a):
        assert OAuthConnection.objects.get(membership=member).status == OAuthConnection.Status.RECONNECT_NEEDED


def test_the_same_form_submitted_twice_is_one_meeting(world, member, fake_zoom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = request_meeting(world, member, key="double-click")
        second = request_meeting(world, member, key="double-click", surrogate=first.surrogate)
    assert first.pk == second.pk and fake_zoom.creates() == 1


def test_a_live_lease_keeps_a_second_worker_away(world, member, fake_zoom, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        meeting = request_meeting(world, member)
    with org_scope(world.org_a):
        ZoomMeeting.objects.filter(pk=meeting.pk).update(status=ZoomMeeting.Status.CREATING, claim_version=1, lease_until=future_start())
        outcome, countdown = services.zoom_meeting_deliver(zoom_meeting_id=meeting.pk)
    assert outcome == services.RETRY and countdown > 60
    assert fake_zoom.requests == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"topic": "  "}, "topic"),
        ({"start_at": future_start(days=-1)}, "future"),
        ({"duration_minutes": 0}, "duration"),
        ({"timezone_name": "Mars/Olympus"}, "time zone"),
    ],
)
def test_bad_input_is_refused_with_a_message(world, member, change, message):
    import uuid

    from tests.zoom.helpers import make_surrogate

    surrogate = make_surrogate(world, world.org_a)
    args = dict(
        membership=member, topic="Call", start_at=future_start(), duration_minutes=30, timezone_name="UTC",
        idempotency_key=uuid.uuid4().hex, surrogate=surrogate,
    )
    args.update(change)
    with org_scope(world.org_a), pytest.raises(services.ZoomMeetingError, match=message):
        services.zoom_meeting_request(**args)
    with org_scope(world.org_a):
        assert not ZoomMeeting.objects.exists()


def test_a_request_whose_task_was_lost_is_resumed_by_the_beat_job(world, member, fake_zoom, django_capture_on_commit_callbacks):
    import datetime

    from integrations.zoom.tasks import resume_stalled

    with django_capture_on_commit_callbacks(execute=False):  # the enqueue never happens
        meeting = request_meeting(world, member)
    assert resume_stalled() == 0  # too fresh: its task may still be on the way
    with org_scope(world.org_a):
        ZoomMeeting.objects.filter(pk=meeting.pk).update(created_at=meeting.created_at - datetime.timedelta(minutes=10))
    assert resume_stalled() == 1
    assert _row(meeting).status == ZoomMeeting.Status.CREATED and fake_zoom.creates() == 1
    assert resume_stalled() == 0


def test_reconcile_walks_every_page_of_upcoming_meetings(world, member, fake_zoom, django_capture_on_commit_callbacks, monkeypatch):
    from integrations.zoom import client as zoom_client

    monkeypatch.setattr(zoom_client, "PAGE_SIZE", 2)  # Zoom's page size, small enough to need pages
    start = future_start()
    for _ in range(4):
        with django_capture_on_commit_callbacks(execute=True):
            request_meeting(world, member, start=start)
    fake_zoom.script = [("slow", 2.5)]  # created, then the answer is lost to the timeout
    with django_capture_on_commit_callbacks(execute=True):
        last = request_meeting(world, member, start=start)
    assert _row(last).status == ZoomMeeting.Status.CREATED and len(fake_zoom.meetings) == 5
    assert fake_zoom.creates() == 5  # found on the third page, not created again
    assert _row(last).zoom_meeting_id == str(fake_zoom.meetings[-1]["id"])
    assert fake_zoom.count("GET", "/v2/users/me/meetings?type=upcoming&page_size=2&next_page_token=4") == 1
