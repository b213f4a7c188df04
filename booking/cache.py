"""Caches of the public booking pages, invalidated by a data version per staff member.

Every write that can change what a staff member's public pages or slots show (link, types,
hours, overrides, appointments) goes through booking.services, which calls `data_changed` inside
its transaction; once it commits, the staff member's version in the shared cache is replaced, so
every process stops serving what it cached under the old one. Readers take the version *before*
reading the database, so an entry stored under a version never holds data older than it.

- Slots JSON (shared cache, all processes): keyed by link, type, zone and dates, stored with the
  version and the instant it stops being exact: the first slot's start (a slot at or before now
  is never offered), the earliest lapse of a pending hold in the range (it frees its time without
  a write), and at most SLOTS_TTL after it was computed.
- The booking page: tenants.page_cache, keyed by the version and everything else it prints.
"""
import secrets

from django.core.cache import cache
from django.db import transaction

VERSION_TTL = 30 * 24 * 3600
SLOTS_TTL = 300  # seconds


def _version_key(membership_id) -> str:
    return f"booking:data:{membership_id}"


def data_changed(membership_id) -> None:
    """Call inside the write's transaction: after it commits, the staff member's caches are stale."""
    key = _version_key(membership_id)
    transaction.on_commit(lambda: cache.set(key, secrets.token_hex(8), VERSION_TTL))


def _ensure_version(membership_id, found) -> str:
    if found is not None:
        return found
    fresh = secrets.token_hex(8)
    if cache.add(_version_key(membership_id), fresh, VERSION_TTL):
        return fresh
    return cache.get(_version_key(membership_id)) or fresh  # another process made it meanwhile


def data_version(membership_id) -> str:
    return _ensure_version(membership_id, cache.get(_version_key(membership_id)))


def _slots_key(*, link_id, type_id, tz_name, first, last) -> str:
    return f"booking:slots:{link_id}:{type_id}:{tz_name}:{first.isoformat()}:{last.isoformat()}"


def slots_lookup(*, membership_id, link_id, type_id, tz_name, first, last, now_us: int) -> tuple[str, bytes | None]:
    """(the staff member's data version, the cached JSON body or None) in one round trip."""
    version_key = _version_key(membership_id)
    entry_key = _slots_key(link_id=link_id, type_id=type_id, tz_name=tz_name, first=first, last=last)
    found = cache.get_many([version_key, entry_key])
    version, entry = found.get(version_key), found.get(entry_key)
    if version is not None and entry is not None:
        entry_version, valid_until_us, body = entry
        if entry_version == version and now_us < valid_until_us:
            return version, body
    return _ensure_version(membership_id, version), None


def slots_store(*, version, link_id, type_id, tz_name, first, last, now_us: int, valid_until_us: int, body: bytes) -> None:
    valid_until_us = min(valid_until_us, now_us + SLOTS_TTL * 1_000_000)
    seconds = (valid_until_us - now_us) // 1_000_000
    if seconds < 1:
        return
    key = _slots_key(link_id=link_id, type_id=type_id, tz_name=tz_name, first=first, last=last)
    cache.set(key, (version, valid_until_us, body), seconds + 1)
