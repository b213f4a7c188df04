"""Signed-in sessions: recorded at sign-in, listed to their owner, ended on demand or when too old.

Ending a session deletes it from the configured session store (db, cache and cached_db all
support delete by key), so the next request carrying that cookie is anonymous at once.

Per request this module costs nothing in the normal case: what it needs (row id, sign-in time,
last recorded activity) lives in the session itself, and the row's last_active_at is written at
most once per ACTIVITY_WRITE_INTERVAL.
"""
import datetime
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from ua_parser import parse as parse_user_agent

from accounts.models import UserSession
from tenants import pii
from tenants.ratelimits import client_ip
from config.pii_logging import mask_ip

SESSION_META_KEY = "_cradle_session"
ACTIVITY_WRITE_INTERVAL = 60  # seconds; also the precision of the idle timeout
USER_AGENT_MAX = 512  # longer headers are cut before parsing (the parser is regex based)


def key_hash(session_key: str) -> str:
    return pii.lookup_hash("session", session_key or "")


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _describe_client(request) -> dict:
    agent = (request.META.get("HTTP_USER_AGENT") or "")[:USER_AGENT_MAX]
    parsed = parse_user_agent(agent) if agent else None

    def family(part):
        value = getattr(part, "family", "") if part is not None else ""
        return "" if value in ("", "Other") else value[:80]

    ip = client_ip(request)
    return {
        "browser": family(parsed and parsed.user_agent),
        "os": family(parsed and parsed.os),
        "device": family(parsed and parsed.device),
        # Only the network ever reaches the database: IPv4 /24, IPv6 /64.
        "ip_network": mask_ip(ip) if ip else "",
    }


def _now_ts() -> float:
    return timezone.now().timestamp()


def session_record_start(*, request, user) -> UserSession:
    """Record the session a sign-in just created (called from the user_logged_in signal)."""
    session = request.session
    if session.session_key is None:
        session.save()
    now = timezone.now()
    # update_or_create: signing in again inside the same session keeps its key (Django only
    # cycles it for a different user), so the row may already exist.
    row, _ = UserSession.objects.update_or_create(
        key_hash=key_hash(session.session_key),
        defaults={
            "user": user,
            "key_ciphertext": session.session_key,
            "created_at": now,
            "last_active_at": now,
            **_describe_client(request),
        },
    )
    session[SESSION_META_KEY] = {"id": row.pk, "k": row.key_hash[:16], "start": now.timestamp(), "seen": now.timestamp()}
    return row


def session_record_end(*, request) -> None:
    """The owner signed out: forget the row (the store entry is flushed by logout itself)."""
    meta = request.session.get(SESSION_META_KEY) or {}
    if meta.get("id"):
        UserSession.objects.filter(pk=meta["id"]).delete()


def session_follow_key(request) -> bool:
    """The session key was just cycled (MFA verification, password change): point the row at it.

    Returns False when the row is gone (the session was ended meanwhile)."""
    session = request.session
    meta = session.get(SESSION_META_KEY)
    if not meta:
        return False
    if session.session_key is None:
        session.save()
    current_hash = key_hash(session.session_key)
    changed = UserSession.objects.filter(pk=meta["id"], user=request.user).update(
        key_hash=current_hash, key_ciphertext=session.session_key, last_active_at=timezone.now()
    )
    if changed:
        session[SESSION_META_KEY] = {**meta, "k": current_hash[:16], "seen": _now_ts()}
    return bool(changed)


def session_check(request) -> str | None:
    """Called once per signed-in request. Returns why the session must end, or None.

    Reasons: "idle" (no request for SESSION_IDLE_TIMEOUT), "expired" (older than
    SESSION_ABSOLUTE_LIFETIME), "revoked" (its row is gone).
    """
    session = request.session
    meta = session.get(SESSION_META_KEY)
    if not meta:
        # Signed in before sessions were recorded (or by a path that skipped the signal).
        session_record_start(request=request, user=request.user)
        return None
    now = _now_ts()
    if now - meta["start"] > settings.SESSION_ABSOLUTE_LIFETIME:
        return "expired"
    if now - meta["seen"] > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    if meta.get("k") != key_hash(session.session_key)[:16]:
        # The key was cycled by something that did not call session_follow_key: follow it now.
        return None if session_follow_key(request) else "revoked"
    if now - meta["seen"] >= ACTIVITY_WRITE_INTERVAL:
        if not UserSession.objects.filter(pk=meta["id"]).update(last_active_at=timezone.now()):
            return "revoked"
        session[SESSION_META_KEY] = {**meta, "seen": now}
    return None


# --- Reads ----------------------------------------------------------------------------------------


def sessions_for_user(*, user):
    """The live ones: a session idle or older than the limits is over even if its browser never
    came back to be told (its row stays until then; the store entry expires by itself)."""
    now = timezone.now()
    # The row's last_active_at lags by up to ACTIVITY_WRITE_INTERVAL behind the session's own clock.
    idle_cutoff = now - datetime.timedelta(seconds=settings.SESSION_IDLE_TIMEOUT + ACTIVITY_WRITE_INTERVAL)
    return UserSession.objects.filter(
        user=user,
        last_active_at__gte=idle_cutoff,
        created_at__gte=now - datetime.timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME),
    ).order_by("-last_active_at", "-id")


def current_session_id(request) -> int | None:
    return (request.session.get(SESSION_META_KEY) or {}).get("id")


def session_get_for_owner(*, user, public_id) -> UserSession:
    """A session of this user; anybody else's (or none) is the same 404."""
    row = UserSession.objects.filter(user=user, public_id=public_id).first()
    if row is None:
        raise Http404("No such session.")
    return row


# --- Ending sessions --------------------------------------------------------------------------------


def _end_rows(rows) -> int:
    store = _store()
    count = 0
    with transaction.atomic():
        for row in rows.select_for_update():
            store().delete(row.key_ciphertext)
            row.delete()
            count += 1
    return count


def session_end(*, session: UserSession) -> None:
    _end_rows(UserSession.objects.filter(pk=session.pk))


def end_all_sessions(user, except_session_key: str | None = None) -> int:
    """End every signed-in session of `user` (but the one with except_session_key). Returns how many.

    For team deactivation, MFA reset, password change and "sign out everywhere else".
    """
    rows = UserSession.objects.filter(user=user)
    if except_session_key:
        rows = rows.exclude(key_hash=key_hash(except_session_key))
    return _end_rows(rows)
