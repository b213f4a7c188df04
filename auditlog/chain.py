"""Appending to and verifying an organization's hash chain. The only writer of AuditEntry."""
import contextlib
import datetime
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from auditlog.models import AuditEntry
from config.pii_logging import mask_ip
from tenants.models import Organization
from tenants.scope import org_scope

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
LOCK_CLASS = 72_113  # pg_advisory_xact_lock(class, org id): one appender per chain at a time

# Actions recorded in tenants.audit.audit_record that also belong in the security chain.
SECURITY_ACTIONS = {
    "admin.changed",
    "admin.created",
    "admin.deleted",
    "membership.saved",
    "membership.activated",
    "membership.deactivated",
    "membership.role_changed",
    "invitation.created",
    "invitation.resent",
    "invitation.revoked",
    "invitation.accepted",
    "membership.mfa_reset",
    "surrogate.stage_regression_rejected",
    "matching.approval_decided",
    "surrogate.import_started",
    "surrogate.exported",
}


def is_security_event(action: str, data: dict) -> bool:
    if action in SECURITY_ACTIONS:
        return True
    # A status-change approval is recorded as the stage change it causes.
    return action == "surrogate.stage_changed" and (data or {}).get("kind") == "approved_regression"


def _canonical(*, organization_id, seq, at, actor_id, action, target_type, target_id, data, ip, prev_hash) -> str:
    return json.dumps(
        {
            "org": organization_id,
            "seq": seq,
            "at": at,
            "actor": actor_id,
            "action": action,
            "target": [target_type, target_id],
            "data": data,
            "ip": ip,
            "prev": prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )


def _at(created_at) -> str:
    return created_at.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds")


def entry_digest(*, organization_id, seq, created_at, actor_id, action, target_type, target_id, data, ip, prev_hash) -> str:
    canonical = _canonical(
        organization_id=organization_id,
        seq=seq,
        at=_at(created_at),
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        data=data,
        ip=ip,
        prev_hash=prev_hash,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _canonical_pieces(fields: dict) -> list[str] | None:
    """The canonical JSON of `fields` cut around time, previous hash and sequence number.

    auditlog_append() (migration 0002) glues the pieces back with the values it reads under the
    lock, so the database hashes exactly what entry_digest() would. None if a marker is not
    found exactly once (it never should be: 128 random bits), and the caller falls back.
    """
    marks = {name: secrets.token_hex(16) for name in ("at", "prev", "seq")}
    text = _canonical(**fields, at=marks["at"], prev_hash=marks["prev"], seq=marks["seq"])
    pieces = []
    for cut in (marks["at"], marks["prev"], f'"{marks["seq"]}"'):  # seq is a JSON number: drop the quotes
        if text.count(cut) != 1:
            return None
        piece, text = text.split(cut)
        pieces.append(piece)
    return [*pieces, text]


def _lock_chain(organization_id) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, int(organization_id)])


def append(
    *, organization_id, action: str, actor_id=None, target_type: str = "", target_id: str = "", data=None, ip: str = ""
) -> AuditEntry:
    """Add one link. `ip` is masked here; `data` must hold no raw PII (hash it first).

    On PostgreSQL the link is made by one call of auditlog_append() (migration 0002): the
    per-organization lock is taken, the head read, the hash computed and the row inserted inside
    the server, and outside a transaction the statement commits on its own. The lock is held for
    that server-side work and the commit only, never across client round trips, so concurrent
    appenders (every full-record view is one) wait microseconds for each other, not the time a busy
    Python process takes to send its next statement. The commit stays synchronous for every
    action, views included: a link that was acknowledged is never lost in a crash (turning
    synchronous_commit off would only shorten the wait by the WAL flush, which we measured at
    0.1-0.4 ms a commit here, at the price of losing the last views on a crash).
    """
    data = json.loads(json.dumps(data or {}, default=str))  # what the JSON column will give back
    fields = dict(
        organization_id=int(organization_id),  # as the column gives it back to verify()
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=str(target_id or ""),
        data=data,
        ip=mask_ip(ip) if ip else "",
    )
    if connection.vendor == "postgresql":
        pieces = _canonical_pieces(fields)
        if pieces is not None:
            return _append_in_database(fields, pieces)
    organization_id = fields["organization_id"]
    with org_scope(Organization(pk=organization_id)), transaction.atomic():
        _lock_chain(organization_id)
        last = AuditEntry.objects.filter(organization_id=organization_id).order_by("-seq").values("seq", "entry_hash").first()
        linked = dict(
            fields,
            seq=(last["seq"] + 1) if last else 1,
            created_at=timezone.now(),
            prev_hash=last["entry_hash"] if last else GENESIS,
        )
        return AuditEntry.objects.create(**linked, entry_hash=entry_digest(**linked))


def _append_in_database(fields: dict, pieces: list[str]) -> AuditEntry:
    params = [
        LOCK_CLASS,
        fields["organization_id"],
        fields["actor_id"],
        fields["action"],
        fields["target_type"],
        fields["target_id"],
        json.dumps(fields["data"]),
        fields["ip"],
        *pieces,
    ]
    sql = "SELECT * FROM auditlog_append(%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s)"
    # Inside a caller's transaction the lock is held until that transaction ends (as before), and a
    # savepoint keeps a failure here from breaking it; outside one, the statement is its own.
    with transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            entry_id, seq, created_at, prev_hash, entry_hash = cursor.fetchone()
    entry = AuditEntry(
        id=entry_id, seq=seq, created_at=created_at, prev_hash=prev_hash, entry_hash=entry_hash, **fields
    )
    entry._state.adding, entry._state.db = False, connection.alias
    return entry


def append_for_request(*, request, organization_id, action: str, target=None, data=None, actor=None) -> AuditEntry:
    from tenants.ratelimits import client_ip

    actor = actor or getattr(request, "user", None)
    target_type = target._meta.label_lower if target is not None else ""
    target_id = str(getattr(target, "public_id", None) or getattr(target, "pk", "")) if target is not None else ""
    return append(
        organization_id=organization_id,
        action=action,
        actor_id=actor.pk if getattr(actor, "pk", None) else None,
        target_type=target_type,
        target_id=target_id,
        data=data,
        ip=client_ip(request),
    )


@dataclass
class Break:
    seq: int
    reason: str


def verify(organization_id) -> tuple[int, Break | None]:
    """(entries checked, the first broken link or None). Runs inside the caller's scope."""
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    rows = AuditEntry.objects.filter(organization_id=organization_id).order_by("seq")
    for entry in rows.iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return checked, Break(expected_seq, f"entry #{expected_seq} is missing (next is #{entry.seq})")
        if entry.prev_hash != prev_hash:
            return checked, Break(entry.seq, "its previous-hash does not match the entry before it")
        digest = entry_digest(
            organization_id=entry.organization_id,
            seq=entry.seq,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            data=entry.data,
            ip=entry.ip,
            prev_hash=entry.prev_hash,
        )
        if digest != entry.entry_hash:
            return checked, Break(entry.seq, "its contents were changed after it was written")
        prev_hash, expected_seq, checked = entry.entry_hash, expected_seq + 1, checked + 1
    return checked, None
