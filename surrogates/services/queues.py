"""Queues and ownership: a surrogate is owned by a person or by a queue, never both.

System queues exist in every organization: "Unassigned" owns leads that arrive without an
owner, "Surrogate Pool" receives a surrogate when it reaches `approved`. Claim takes a record
out of a queue, release puts it back, assign hands it to a person or a queue. Every owner
change is audited as `surrogate.owner_changed`.
"""
from django.db import transaction

from surrogates.models import Queue, QueueMember, Surrogate
from surrogates.services.common import SurrogateError, _require, _same_org
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership, Organization, User

MAX_BULK = 200


class QueueError(SurrogateError):
    """A queue rule refused the action (shown to the user like any SurrogateError)."""


def queues_install_defaults(*, organization: Organization) -> list[Queue]:
    """The system queues; idempotent (organization_create and the backfill migration call it)."""
    existing = set(Queue.objects.filter(organization=organization).values_list("system_key", flat=True))
    taken = set(Queue.objects.filter(organization=organization).values_list("name", flat=True))
    created = []
    for key, name in Queue.SYSTEM_NAMES.items():
        if key in existing:
            continue
        label = name if name not in taken else f"{name} (system)"
        created.append(Queue.objects.create(organization=organization, name=label, system_key=key))
    return created


def system_queue(organization_id, key: str) -> Queue:
    queue = Queue.objects.filter(organization_id=organization_id, system_key=key).first()
    if queue is None:
        organization = Organization.objects.get(pk=organization_id)
        queues_install_defaults(organization=organization)
        queue = Queue.objects.get(organization_id=organization_id, system_key=key)
    return queue


def queue_create(*, membership: Membership, name: str, users=()) -> Queue:
    _require(membership, perms.MANAGE_ORGANIZATION)
    name = (name or "").strip()
    if not name:
        raise QueueError("A queue needs a name.")
    if Queue.objects.filter(organization_id=membership.organization_id, name__iexact=name).exists():
        raise QueueError(f"A queue named {name!r} already exists.")
    with transaction.atomic():
        queue = Queue.objects.create(organization_id=membership.organization_id, name=name)
        for user in users:
            _check_member(user)
            QueueMember.objects.create(organization_id=membership.organization_id, queue=queue, user=user)
        audit_record(actor=membership.user, action="queue.created", target=queue, data={"members": len(users)})
    return queue


def _check_member(user) -> None:
    if user is None or not Membership.objects.filter(user=user, is_active=True).exists():
        raise QueueError("Pick an active member of this organization.")


def _owner_label(user, queue) -> dict:
    return {"user_id": user.pk if user else None, "queue": str(queue.public_id) if queue else None}


def set_owner(*, surrogate: Surrogate, user: User | None, queue: Queue | None, actor, via: str) -> bool:
    """Write a new owner (the caller holds the row lock) and audit it; False if nothing changed."""
    if user is not None and queue is not None:
        raise QueueError("A record is owned by a person or by a queue, not both.")
    if surrogate.owner_id == (user.pk if user else None) and surrogate.owner_queue_id == (queue.pk if queue else None):
        return False
    before = _owner_label(surrogate.owner, surrogate.owner_queue)
    surrogate.owner = user
    surrogate.owner_queue = queue
    surrogate.save(update_fields=["owner", "owner_queue", "updated_at"])
    audit_record(
        actor=actor,
        action="surrogate.owner_changed",
        target=surrogate,
        data={"via": via, "from": before, "to": _owner_label(user, queue)},
    )
    return True


def _locked(surrogate: Surrogate) -> Surrogate:
    # No joins in the locking query: PostgreSQL re-checks a waited-for row against the joined rows'
    # old versions, so a concurrent owner change would make the row vanish (DoesNotExist).
    return Surrogate.objects.select_for_update().get(pk=surrogate.pk)


def surrogate_claim(*, membership: Membership, surrogate: Surrogate) -> Surrogate:
    """Take a record out of its queue. Queue members only, or anyone if the queue has no members."""
    _require(membership, perms.CLAIM_SURROGATES)
    _same_org(membership, surrogate)
    with transaction.atomic():
        surrogate = _locked(surrogate)
        queue = surrogate.owner_queue
        if queue is None:
            if surrogate.owner_id == membership.user_id:
                raise QueueError("You already own this record.")
            raise QueueError("This record is not in a queue; someone already owns it.")
        members = set(QueueMember.objects.filter(queue=queue).values_list("user_id", flat=True))
        if members and membership.user_id not in members:
            raise QueueError(f"Only members of {queue.name} can claim from it.")
        set_owner(surrogate=surrogate, user=membership.user, queue=None, actor=membership.user, via="claim")
    return surrogate


def surrogate_release(*, membership: Membership, surrogate: Surrogate, queue: Queue | None = None) -> Surrogate:
    """Give a record back to a queue (Unassigned by default): its owner, or anyone who may assign."""
    _same_org(membership, surrogate, queue)
    with transaction.atomic():
        surrogate = _locked(surrogate)
        is_owner = surrogate.owner_id == membership.user_id
        if not (is_owner and perms.has_perm(membership, perms.CLAIM_SURROGATES)):
            _require(membership, perms.ASSIGN_SURROGATES)
        if surrogate.owner_queue_id is not None and queue is None:
            raise QueueError("This record is already in a queue.")
        queue = queue or system_queue(surrogate.organization_id, Queue.UNASSIGNED)
        if not set_owner(surrogate=surrogate, user=None, queue=queue, actor=membership.user, via="release"):
            raise QueueError(f"This record is already in {queue.name}.")
    return surrogate


def _assign_one(*, membership, surrogate, user, queue, via) -> bool:
    surrogate = _locked(surrogate)
    return set_owner(surrogate=surrogate, user=user, queue=queue, actor=membership.user, via=via)


def _check_target(membership, user, queue) -> None:
    if (user is None) == (queue is None):
        raise QueueError("Choose either a person or a queue.")
    _same_org(membership, queue)
    if user is not None:
        _check_member(user)


def surrogate_assign(
    *, membership: Membership, surrogate: Surrogate, user: User | None = None, queue: Queue | None = None
) -> Surrogate:
    _require(membership, perms.ASSIGN_SURROGATES)
    _same_org(membership, surrogate)
    _check_target(membership, user, queue)
    with transaction.atomic():
        _assign_one(membership=membership, surrogate=surrogate, user=user, queue=queue, via="assign")
    surrogate.refresh_from_db()
    return surrogate


def surrogate_bulk_assign(*, membership: Membership, surrogates, user: User | None = None, queue: Queue | None = None) -> int:
    """Assign many records at once (all or nothing); returns how many changed owner."""
    _require(membership, perms.ASSIGN_SURROGATES)
    _check_target(membership, user, queue)
    surrogates = list(surrogates)
    if not surrogates:
        raise QueueError("Select at least one surrogate.")
    if len(surrogates) > MAX_BULK:
        raise QueueError(f"Assign at most {MAX_BULK} records at a time.")
    _same_org(membership, *surrogates)
    changed = 0
    with transaction.atomic():
        for surrogate in sorted(surrogates, key=lambda s: s.pk):  # one lock order: no deadlocks
            changed += _assign_one(membership=membership, surrogate=surrogate, user=user, queue=queue, via="bulk")
    return changed
