"""Appending to and verifying an organization's hash chain. The only writer of AuditEntry."""
import datetime
import hashlib
import json
import logging
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


def entry_digest(*, organization_id, seq, created_at, actor_id, action, target_type, target_id, data, ip, prev_hash) -> str:
    canonical = json.dumps(
        {
            "org": organization_id,
            "seq": seq,
            "at": created_at.astimezone(datetime.timezone.utc).isoformat(timespec="microseconds"),
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
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_chain(organization_id) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, int(organization_id)])


def append(
    *, organization_id, action: str, actor_id=None, target_type: str = "", target_id: str = "", data=None, ip: str = ""
) -> AuditEntry:
    """Add one link. `ip` is masked here; `data` must hold no raw PII (hash it first)."""
    data = json.loads(json.dumps(data or {}, default=str))  # what the JSON column will give back
    masked = mask_ip(ip) if ip else ""
    organization = Organization(pk=organization_id)
    with org_scope(organization), transaction.atomic():
        _lock_chain(organization_id)
        last = AuditEntry.objects.filter(organization_id=organization_id).order_by("-seq").values("seq", "entry_hash").first()
        seq = (last["seq"] + 1) if last else 1
        prev_hash = last["entry_hash"] if last else GENESIS
        created_at = timezone.now()
        fields = dict(
            organization_id=organization_id,
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=str(target_id or ""),
            data=data,
            ip=masked,
            prev_hash=prev_hash,
        )
        return AuditEntry.objects.create(**fields, entry_hash=entry_digest(**fields))


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
