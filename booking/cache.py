"""Caches of the public booking pages, keyed by the link's data version.

Every write that can change what a staff member's public page or slots show (link, types, hours,
overrides, appointments) goes through booking.services, which calls `data_changed` inside its
transaction: the link's `data_version` moves with the data, in the same commit. The public GETs
read the version with the link itself (the one statement that checks the slug on every request),
before reading anything else, so an entry stored under a version never holds older data than it,
and an entry under an old version is never served again.

- Slots JSON (shared cache, all processes): keyed by link, type, zone and dates, stored with the
  version and the instant it stops being exact without a write: the first slot's start (a slot
  at or before now is never offered) or the earliest lapse of a pending hold in the range (it
  frees its time with no write), and at most SLOTS_TTL after it was computed.
- The booking page: tenants.page_cache, keyed by the version and everything else it prints.
"""
from django.core.cache import cache
from django.db.models import F

from booking.models import BookingLink

SLOTS_TTL = 300  # seconds


def data_changed(membership_id) -> None:
    """Call inside the write's transaction: the staff member's cached page and slots are stale."""
    BookingLink.objects.filter(membership_id=membership_id).update(data_version=F("data_version") + 1)


def _slots_key(*, link_id, type_id, tz_name, first, last) -> str:
    return f"booking:slots:{link_id}:{type_id}:{tz_name}:{first.isoformat()}:{last.isoformat()}"


def slots_lookup(*, version, link_id, type_id, tz_name, first, last, now_us: int) -> bytes | None:
    """The cached JSON body if it was stored under this version and is still exact at now_us."""
    entry = cache.get(_slots_key(link_id=link_id, type_id=type_id, tz_name=tz_name, first=first, last=last))
    if entry is not None:
        entry_version, valid_until_us, body = entry
        if entry_version == version and now_us < valid_until_us:
            return body
    return None


def slots_store(*, version, link_id, type_id, tz_name, first, last, now_us: int, valid_until_us: int, body: bytes) -> None:
    valid_until_us = min(valid_until_us, now_us + SLOTS_TTL * 1_000_000)
    seconds = (valid_until_us - now_us) // 1_000_000
    if seconds < 1:
        return
    key = _slots_key(link_id=link_id, type_id=type_id, tz_name=tz_name, first=first, last=last)
    cache.set(key, (version, valid_until_us, body), seconds + 1)
