"""Open-pixel hits go to a Redis stream; a flusher writes them to PostgreSQL in batches.

Why: the pixel is the most-requested public URL (every mail client that shows images, every
image proxy and prefetcher). Recording each hit as it came cost a lookup, an INSERT, an UPDATE
and a transaction: six database round trips per request. Appending to a stream is one Redis
round trip; the flusher (Celery beat, `tracking.flush_opens`, or `manage.py flush_tracking_opens`)
writes a whole batch in one transaction.

Nothing is lost, nothing is written twice:
- no Redis configured (dev) or Redis not answering: the view records the open directly, as before;
- every hit carries a random id, unique on TrackingEvent. A batch (read from the start of the
  stream) is written in one transaction, skipping hits already written, and only then deleted
  from the stream. A crash between commit and delete, two flushers on the same entries (a lock
  that expired), or a Redis restart with an older clock cannot duplicate or skip a hit: the
  database decides, not stream ids or clocks;
- an entry that cannot be a hit (missing fields, a bad id, an impossible time) is skipped and
  deleted, so one bad entry never holds up the others; values are cleaned (no NUL, bounded
  lengths) before they reach PostgreSQL;
- deployed Redis must persist (appendonly) for hits waiting in the stream to survive a restart.
Hits for a genuine-looking token whose message does not exist are dropped at the flush, like the
direct path drops them. Counters on EmailLog lag by at most one flush interval.
"""
import datetime
import ipaddress
import logging
import uuid
from collections import defaultdict

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, F, IntegerField, Value, When
from django.db.models.functions import Coalesce

from messaging.models import EmailLog
from tenants.models import Organization
from tenants.scope import org_scope, unscoped
from tracking import clients
from tracking.models import TrackingEvent

logger = logging.getLogger(__name__)
STREAM = "tracking:opens"
# A bound on memory if no flusher runs for a long time (~150 bytes per hit): beyond it the oldest go.
MAX_PENDING = 2_000_000
EARLIEST = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


def _connection():
    """The Redis client behind the default cache, or None where the cache is not Redis (dev)."""
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


def _key(name: str) -> str:
    return caches["default"].make_key(name)  # the cache's prefix keeps concurrent test runs apart


def _clean(text: str, limit: int) -> str:
    return text.replace("\x00", "")[:limit]


def push(*, public_id: uuid.UUID, request) -> bool:
    """Queue one open; False when it could not be queued (the caller then records it directly)."""
    connection = _connection()
    if connection is None:
        return False
    from redis.exceptions import RedisError

    fields = {
        "h": uuid.uuid4().hex,
        "p": public_id.hex,
        "m": "1" if clients.is_machine(request) else "0",
        "i": clients.masked_ip(request),
        "u": _clean(clients.user_agent(request), 300),
        "t": repr(datetime.datetime.now(datetime.timezone.utc).timestamp()),
    }
    try:
        connection.xadd(_key(STREAM), fields, maxlen=MAX_PENDING, approximate=True)
    except RedisError:
        logger.warning("open pixel: Redis did not take the hit; recording it directly")
        return False
    return True


def pending() -> int:
    connection = _connection()
    return 0 if connection is None else connection.xlen(_key(STREAM))


def flush(*, batch_size: int = 1000, max_batches: int | None = None) -> int:
    """Write queued opens to the database; returns how many stream entries were taken."""
    connection = _connection()
    if connection is None:
        return 0
    from redis.exceptions import LockError

    # Only to save work: correctness comes from the unique hit id, not from this lock.
    lock = connection.lock(_key(STREAM + ":flush"), timeout=600, blocking_timeout=0)
    if not lock.acquire(blocking=False):
        return 0
    done = batches = 0
    try:
        while max_batches is None or batches < max_batches:
            entries = connection.xrange(_key(STREAM), count=batch_size)
            if not entries:
                break
            try:
                write_batch(entries)
            except IntegrityError:
                break  # another flusher wrote some of these meanwhile; the next run skips them
            connection.xdel(_key(STREAM), *[entry_id for entry_id, _ in entries])
            done += len(entries)
            batches += 1
    finally:
        try:
            lock.release()
        except LockError:
            pass  # expired during a very long run
    return done


def _parse(entry_id: bytes, fields: dict) -> dict | None:
    """A hit from a stream entry, or None for anything that cannot be one (skipped, then deleted)."""
    try:
        at = datetime.datetime.fromtimestamp(float(fields[b"t"]), tz=datetime.timezone.utc)
        if not EARLIEST <= at <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=1):
            return None
        ip = fields.get(b"i", b"").decode()
        if ip:
            ip = str(ipaddress.ip_network(ip))  # only ever a masked network: refuse anything else
        hit_id = fields.get(b"h", b"").decode() or f"stream:{entry_id.decode()}"
        return {
            "hit_id": _clean(hit_id, 40),
            "public_id": uuid.UUID(hex=fields[b"p"].decode()),
            "machine": fields[b"m"] == b"1",
            "ip": ip[:64],
            "agent": _clean(fields.get(b"u", b"").decode(errors="replace"), 300),
            "at": at,
        }
    except Exception:  # noqa: BLE001 (any malformed entry, whatever it breaks: not ours to keep)
        return None


def write_batch(entries: list) -> int:
    """One transaction: the batch's hits not written before, and their messages' counters."""
    hits = {hit["hit_id"]: hit for hit in (_parse(entry_id, fields) for entry_id, fields in entries) if hit}
    if not hits:
        return 0
    # The cross-organization reads: which hits are already written, which message (and so which
    # organization) each one names.
    with unscoped():
        written = set(TrackingEvent.objects.filter(hit_id__in=list(hits)).values_list("hit_id", flat=True))
        fresh = [hit for hit_id, hit in hits.items() if hit_id not in written]
        logs = {
            log.public_id: log
            for log in EmailLog.objects.filter(public_id__in={hit["public_id"] for hit in fresh}).only(
                "id", "public_id", "organization_id"
            )
        }
    by_org = defaultdict(list)
    for hit in fresh:
        log = logs.get(hit["public_id"])
        if log is not None:
            by_org[log.organization_id].append((log, hit))
    organizations = Organization.objects.in_bulk(list(by_org))
    count = 0
    with transaction.atomic():
        for organization_id, items in sorted(by_org.items()):
            with org_scope(organizations[organization_id]):
                count += _write_org(organization_id, items)
    return count


def _write_org(organization_id: int, items: list) -> int:
    TrackingEvent.objects.bulk_create(
        [
            TrackingEvent(
                organization_id=organization_id,
                email_log_id=log.pk,
                kind=TrackingEvent.Kind.OPEN,
                is_machine=hit["machine"],
                ip_masked=hit["ip"],
                user_agent=hit["agent"],
                created_at=hit["at"],
                hit_id=hit["hit_id"],
            )
            for log, hit in items
        ]
    )
    people = defaultdict(int)
    machines = defaultdict(int)
    first_human_open = {}  # hits arrive out of order: the earliest, not the first queued
    for log, hit in items:
        if hit["machine"]:
            machines[log.pk] += 1
        else:
            people[log.pk] += 1
            first_human_open[log.pk] = min(first_human_open.get(log.pk, hit["at"]), hit["at"])

    # Every message of the batch in ONE UPDATE, not a statement per message: a campaign's opens
    # arrive spread over thousands of messages. Counters take one WHEN per distinct count (mostly
    # 1 or 2): a WHEN per message is what the flusher's CPU went on. The first open needs one per
    # message (a correlated MIN() over the events was far slower in PostgreSQL; bench/README.md).
    def added(counts):
        by_count = defaultdict(list)
        for log_id, count in counts.items():
            by_count[count].append(log_id)
        whens = [When(pk__in=sorted(ids), then=Value(count)) for count, ids in sorted(by_count.items())]
        return Case(*whens, default=Value(0), output_field=IntegerField()) if whens else Value(0)

    first_opens = [When(pk=log_id, then=Value(at)) for log_id, at in first_human_open.items()]
    EmailLog.objects.filter(pk__in=sorted({log.pk for log, _ in items})).update(
        open_count=F("open_count") + added(people),
        machine_open_count=F("machine_open_count") + added(machines),
        opened_at=Coalesce(F("opened_at"), Case(*first_opens, default=Value(None), output_field=DateTimeField())),
    )
    return len(items)
