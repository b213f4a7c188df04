"""Security review of the buffered open pixel (tracking/open_buffer.py, 89fd684 and later)."""
import time

import pytest

from messaging.models import EmailLog
from tenants.scope import unscoped
from tracking import open_buffer, tokens
from tracking.models import TrackingEvent
from tests.tracking.test_tracking import BROWSER, _open_url, _queue

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db]


def _events():
    with unscoped():
        return list(TrackingEvent.objects.order_by("id").values_list("organization_id", "email_log_id"))


def _stream():
    return open_buffer._connection(), open_buffer._key(open_buffer.STREAM)


def _good_fields(log):
    return {"p": log.public_id.hex, "m": "0", "i": "203.0.113.0/24", "u": BROWSER, "t": repr(time.time())}


def test_forged_tokens_create_no_rows_and_hits_land_in_the_messages_own_org(client, world):
    log_a = _queue(world, world.org_a)
    log_b = _queue(world, world.org_b, key="t2")
    good = tokens.make("open", log_a.public_id)
    for forged in (good[:-1] + ("A" if good[-1] != "A" else "B"), tokens.make("click", log_a.public_id), "x" * 40):
        client.get(f"/tracking/open/{forged}/", HTTP_USER_AGENT=BROWSER)
    assert open_buffer.pending() == 0
    client.get(_open_url(log_a), HTTP_USER_AGENT=BROWSER)
    client.get(_open_url(log_b), HTTP_USER_AGENT=BROWSER)
    assert open_buffer.flush() == 2
    assert sorted(_events()) == sorted([(world.org_a.pk, log_a.pk), (world.org_b.pk, log_b.pk)])


def test_entries_missing_fields_or_with_garbage_are_skipped_and_the_rest_written(client, world):
    log = _queue(world, world.org_a)
    connection, key = _stream()
    for junk in ({"x": "1"}, {"p": "zz", "m": "0", "t": "1"}, {"p": log.public_id.hex, "m": "0", "t": "nan"},
                 {"p": b"\xff\xfe", "m": "0", "t": "1"}):
        connection.xadd(key, junk)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    assert open_buffer.flush() == 5
    assert _events() == [(world.org_a.pk, log.pk)] and open_buffer.pending() == 0


def test_a_poison_timestamp_does_not_block_the_stream(client, world):
    log = _queue(world, world.org_a)
    connection, key = _stream()
    connection.xadd(key, {**_good_fields(log), "t": "inf"})
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    try:
        open_buffer.flush()
    except Exception:
        pass
    open_buffer.flush()
    assert _events() == [(world.org_a.pk, log.pk)]


def test_a_nul_user_agent_does_not_block_the_stream(client, world):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT="Mozilla\x00evil")
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    try:
        open_buffer.flush()
    except Exception as exc:  # DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes
        print("flush failed:", type(exc).__name__, exc)
    assert len(_events()) >= 1


def test_two_flushers_over_the_same_entries_write_each_hit_once(client, world):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    connection, key = _stream()
    # flusher A reads its batch, then stalls past the lock timeout
    batch_a = connection.xrange(key, count=1000)
    # flusher B takes the (expired) lock and flushes everything
    assert open_buffer.flush() == 1
    # flusher A wakes up and writes what it read
    open_buffer.write_batch(batch_a)
    assert len(_events()) == 1
    assert EmailLog._base_manager.get(pk=log.pk).open_count == 1


def test_two_flushers_at_once_one_waits(client, world):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    connection = open_buffer._connection()
    lock = connection.lock(open_buffer._key(open_buffer.STREAM + ":flush"), timeout=30)
    assert lock.acquire(blocking=False)
    try:
        assert open_buffer.flush() == 0
    finally:
        lock.release()
    assert open_buffer.flush() == 1 and len(_events()) == 1


def test_hits_with_ids_below_the_cursor_after_a_redis_restart_are_written(client, world):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER)
    connection, key = _stream()
    cursor_ms = int(connection.xrange(key)[-1][0].split(b"-")[0])
    assert open_buffer.flush() == 1
    connection.delete(key)  # Redis restarted without the stream
    connection.xadd(key, _good_fields(log), id=f"{cursor_ms - 5000}-0")  # its clock is 5 s behind
    open_buffer.flush()
    assert len(_events()) == 2 and open_buffer.pending() == 0
