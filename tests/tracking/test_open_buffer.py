"""Open-pixel hits queued in Redis and written in batches: nothing lost, nothing twice, no cross-org write."""
import datetime
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from messaging.models import EmailLog
from tenants.scope import org_scope, unscoped
from tracking import open_buffer, tokens
from tracking.models import TrackingEvent
from tracking.tasks import flush_opens
from tracking.views import PIXEL
from tests.messaging.conftest import make_surrogate
from tests.tracking.test_tracking import BROWSER, GMAIL_PROXY, _open_url, _queue

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


def _counts(log):
    log = EmailLog._base_manager.get(pk=log.pk)
    return log.open_count, log.machine_open_count


def _events():
    with unscoped():
        return list(TrackingEvent.objects.order_by("id").values_list("organization_id", "email_log_id", "is_machine"))


def test_a_hit_is_queued_without_any_sql_and_written_by_the_flush(client, world):
    log = _queue(world, world.org_a)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(_open_url(log), HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.77")
    assert response.status_code == 200 and response.content == PIXEL
    assert captured.captured_queries == []  # the signed token is checked in Python, the hit goes to Redis
    assert open_buffer.pending() == 1 and _events() == [] and _counts(log) == (0, 0)

    assert open_buffer.flush() == 1
    assert open_buffer.pending() == 0
    assert _events() == [(world.org_a.pk, log.pk, False)] and _counts(log) == (1, 0)
    with org_scope(world.org_a):
        event = TrackingEvent.objects.get()
    assert event.ip_masked == "203.0.113.0/24" and event.user_agent == BROWSER
    assert EmailLog._base_manager.get(pk=log.pk).opened_at == event.created_at


def test_forged_and_unknown_tokens_queue_nothing_or_are_dropped(client, world):
    log = _queue(world, world.org_a)
    good = tokens.make("open", log.public_id)
    forged = good[:-1] + ("A" if good[-1] != "A" else "B")
    unknown = tokens.make("open", uuid.uuid4())  # signed by us, but no such message
    for token in (forged, tokens.make("click", log.public_id)):
        assert client.get(f"/tracking/open/{token}/").content == PIXEL
    assert open_buffer.pending() == 0  # forged or wrong-kind: not even queued
    client.get(f"/tracking/open/{unknown}/", HTTP_USER_AGENT=BROWSER)
    assert open_buffer.flush() == 1 and _events() == [] and open_buffer.pending() == 0


def test_one_batch_of_two_agencies_writes_each_hit_in_its_own_agency(client, world):
    log_a = _queue(world, world.org_a, key="a")
    log_b = _queue(world, world.org_b, key="b")
    for _ in range(3):
        client.get(_open_url(log_a), HTTP_USER_AGENT=BROWSER)
    client.get(_open_url(log_b), HTTP_USER_AGENT=GMAIL_PROXY)
    assert open_buffer.flush(batch_size=2) == 4  # two batches
    assert _counts(log_a) == (3, 0) and _counts(log_b) == (0, 1)
    with org_scope(world.org_a):
        assert set(TrackingEvent.objects.values_list("email_log_id", flat=True)) == {log_a.pk}
    with org_scope(world.org_b):
        assert list(TrackingEvent.objects.values_list("email_log_id", "is_machine")) == [(log_b.pk, True)]
    assert EmailLog._base_manager.get(pk=log_b.pk).opened_at is None  # a proxy fetch is not a person opening


def _hit(log, *, at, machine=False):
    """A queued hit with a chosen time, as push() writes it (the stream is the flusher's input)."""
    open_buffer._connection().xadd(open_buffer._key(open_buffer.STREAM), {
        "h": uuid.uuid4().hex, "p": log.public_id.hex, "m": "1" if machine else "0", "i": "203.0.113.0/24",
        "u": "test", "t": repr(at.timestamp()),
    })


def _messages(world, count):
    """`count` sent messages to one surrogate of org A."""
    surrogate = make_surrogate(world, world.org_a, name="Ana Batch")
    return [_queue(world, world.org_a, key=f"batch-{n}", surrogate=surrogate) for n in range(count)]


def test_one_batch_gives_each_message_its_own_counts_and_earliest_human_open(world):
    t0 = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=1)
    minutes = lambda n: t0 + datetime.timedelta(minutes=n)  # noqa: E731
    three, two, machine_only, already = _messages(world, 4)
    EmailLog._base_manager.filter(pk=already.pk).update(opened_at=minutes(-30), open_count=5)
    for at in (9, 4, 7):  # out of order: the first open is the earliest, not the first queued
        _hit(three, at=minutes(at))
    _hit(three, at=minutes(1), machine=True)  # a proxy's fetch earlier still: not a person opening
    _hit(two, at=minutes(6))
    _hit(two, at=minutes(5))
    _hit(machine_only, at=minutes(2), machine=True)
    _hit(machine_only, at=minutes(3), machine=True)
    _hit(already, at=minutes(8))
    assert open_buffer.flush() == 9
    rows = {
        log.pk: (log.open_count, log.machine_open_count, log.opened_at)
        for log in EmailLog._base_manager.filter(pk__in=[three.pk, two.pk, machine_only.pk, already.pk])
    }
    assert rows == {
        three.pk: (3, 1, minutes(4)),
        two.pk: (2, 0, minutes(5)),
        machine_only.pk: (0, 2, None),
        already.pk: (6, 0, minutes(-30)),  # an open already recorded stays the first
    }


def test_a_crash_after_the_commit_but_before_the_delete_writes_nothing_twice(client, world):
    log = _queue(world, world.org_a)
    for _ in range(2):
        client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    redis = open_buffer._connection()
    entries = redis.xrange(open_buffer._key(open_buffer.STREAM))
    open_buffer.write_batch(entries)  # committed; the process "dies" before deleting the entries
    assert open_buffer.pending() == 2
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)  # a later hit
    open_buffer.flush()
    assert _counts(log) == (3, 0) and len(_events()) == 3 and open_buffer.pending() == 0


def test_an_entry_that_is_not_ours_is_skipped_and_the_rest_written(client, world):
    log = _queue(world, world.org_a)
    redis = open_buffer._connection()
    redis.xadd(open_buffer._key(open_buffer.STREAM), {"p": "not-a-uuid", "t": "x"})
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    assert open_buffer.flush() == 2
    assert _counts(log) == (1, 0) and open_buffer.pending() == 0


def test_a_second_flusher_waits_its_turn(client, world):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    lock = open_buffer._connection().lock(open_buffer._key(open_buffer.STREAM + ":flush"), timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert open_buffer.flush() == 0 and _counts(log) == (0, 0)
    finally:
        lock.release()
    assert flush_opens.delay().get() == 1 and _counts(log) == (1, 0)  # the beat task, run eagerly


def test_the_ops_command_flushes_and_reports(client, world, capsys):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    call_command("flush_tracking_opens")
    assert "written: 1 open hit(s); still queued: 0" in capsys.readouterr().out
    assert _counts(log) == (1, 0)


@override_settings(
    CACHES={
        "default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
                    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rl-dead-redis"},
    }
)
def test_with_redis_down_the_hit_is_recorded_directly(client, world):
    log = _queue(world, world.org_a)
    response = client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 200 and response.content == PIXEL
    assert _counts(log) == (1, 0) and _events() == [(world.org_a.pk, log.pk, False)]


def test_the_beat_schedule_runs_the_flush():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["tracking-flush-opens"]["task"] == flush_opens.name
