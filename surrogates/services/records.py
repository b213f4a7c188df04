"""Pipeline defaults and surrogate records: create, edit, archive, restore."""
import datetime
import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from surrogates.models import Queue, Stage, StageType, StatusChange, Surrogate
from surrogates.pipeline import DEFAULT_STAGES
from surrogates.services.common import STAGE_PERMISSION, SurrogateError, _require, _same_org
from surrogates.services.queues import queues_install_defaults, set_owner, system_queue
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership, Organization
from tenants.pii import email_hash, phone_hash


# --- Pipeline -------------------------------------------------------------------------------


def pipeline_install_defaults(*, organization: Organization) -> list[Stage]:
    """The default stages and the system queues of a new organization (idempotent)."""
    queues_install_defaults(organization=organization)
    existing = set(Stage.objects.filter(organization=organization).values_list("key", flat=True))
    return Stage.objects.bulk_create(
        [
            Stage(organization=organization, key=key, label=label, order=index, stage_type=stage_type)
            for index, (key, label, stage_type) in enumerate(DEFAULT_STAGES, start=1)
            if key not in existing
        ]
    )


def stages_settable_by(membership: Membership):
    allowed_types = [stage_type for stage_type, perm in STAGE_PERMISSION.items() if perms.has_perm(membership, perm)]
    return Stage.objects.filter(is_active=True, stage_type__in=allowed_types)


# --- Records --------------------------------------------------------------------------------


PHONE_SHAPE = re.compile(r"^\+?[\d\s().\-]+$")
EARLIEST_BIRTH_DATE = datetime.date(1900, 1, 1)
TASK_DUE_HORIZON = datetime.timedelta(days=366 * 10)


def _check_contact(*, phone: str | None = None, date_of_birth=None, state: str | None = None) -> None:
    if state and state not in US_STATES:
        raise SurrogateError("Enter a US state as its two-letter code (e.g. OH).")
    if phone:
        digits = re.sub(r"\D", "", phone)
        if not PHONE_SHAPE.match(phone) or not 7 <= len(digits) <= 15:
            raise SurrogateError("Enter a valid phone number (digits, spaces, + ( ) - only; 7 to 15 digits).")
    if date_of_birth is not None:
        if date_of_birth > timezone.localdate() or date_of_birth < EARLIEST_BIRTH_DATE:
            raise SurrogateError("Enter a real date of birth (in the past, after 1900).")


def _check_owner(owner) -> None:
    if owner is None:
        return
    if not Membership.objects.filter(user=owner, is_active=True).exists():
        raise SurrogateError("The owner must be an active member of this organization.")


def _check_unique_email(*, organization_id, hashed: str, exclude_pk=None) -> None:
    if not hashed:
        return
    clash = Surrogate.objects.filter(organization_id=organization_id, email_hash=hashed, archived_at__isnull=True)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise SurrogateError("An active surrogate with this email already exists.")


def _issue_number(organization_id) -> int:
    # The conditional UPDATE locks the organization row until commit: concurrent creates queue
    # here, so numbers are unique and, never being decremented, never reused.
    Organization.objects.filter(pk=organization_id).update(next_surrogate_number=F("next_surrogate_number") + 1)
    return Organization.objects.values_list("next_surrogate_number", flat=True).get(pk=organization_id) - 1


PROFILE_FIELDS = (
    "full_name", "email", "phone", "date_of_birth", "source", "priority", "owner", "state", "is_eligible",
)
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
PII_FIELDS = {"full_name", "email", "phone", "date_of_birth"}


def _audit_values(changes: dict) -> dict:
    """New values for the audit log; PII is recorded as 'changed', never by value."""
    values = {}
    for field, value in changes.items():
        if field in PII_FIELDS:
            values[field] = "changed"
        elif field == "owner":
            values["owner_id"] = value.pk if value else None
        else:
            values[field] = value
    return values


def surrogate_create(
    *,
    membership: Membership,
    full_name: str,
    email: str = "",
    phone: str = "",
    date_of_birth=None,
    source: str = "manual",
    priority: str = "normal",
    owner=None,
    stage: Stage | None = None,
    state: str = "",
    is_eligible: bool | None = None,
) -> Surrogate:
    _require(membership, perms.CREATE_SURROGATE)
    _same_org(membership, stage)
    organization_id = membership.organization_id
    if not (full_name or "").strip():
        raise SurrogateError("A full name is required.")
    if stage is None:
        stage = Stage.objects.filter(is_active=True, stage_type=StageType.INTAKE).order_by("order").first()
    if stage is None or not stage.is_active:
        raise SurrogateError("The pipeline has no active intake stage.")
    state = (state or "").strip().upper()
    _check_contact(phone=phone, date_of_birth=date_of_birth, state=state)
    if owner is None and not perms.has_perm(membership, perms.VIEW_ALL_SURROGATES):
        owner = membership.user  # otherwise the creator could not see the record they made
    _check_owner(owner)
    hashed_email = email_hash(email)
    with transaction.atomic():
        _check_unique_email(organization_id=organization_id, hashed=hashed_email)
        now = timezone.now()
        surrogate = Surrogate(
            organization_id=organization_id,
            number=_issue_number(organization_id),
            full_name=full_name.strip(),
            email=(email or "").strip(),
            email_hash=hashed_email,
            phone=(phone or "").strip(),
            phone_hash=phone_hash(phone),
            date_of_birth=date_of_birth,
            source=source,
            priority=priority,
            state=state,
            is_eligible=is_eligible,
            owner=owner,
            owner_queue=None if owner else system_queue(organization_id, Queue.UNASSIGNED),
            stage=stage,
            stage_changed_at=now,
            created_by=membership.user,
            created_at=now,
        )
        _insert_new_record(surrogate, actor=membership.user)
    return surrogate


def _insert_new_record(surrogate: Surrogate, *, actor) -> None:
    """Save a new record with its first history row and its audit event (inside the caller's
    transaction). `actor` is None for records made by an integration."""
    try:
        with transaction.atomic():
            surrogate.save()
    except IntegrityError as exc:
        raise SurrogateError("An active surrogate with this email already exists.") from exc
    StatusChange.objects.create(
        organization_id=surrogate.organization_id,
        surrogate=surrogate,
        to_stage=surrogate.stage,
        kind=StatusChange.Kind.CREATED,
        effective_at=surrogate.created_at,
        recorded_at=surrogate.created_at,
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action="surrogate.created",
        target=surrogate,
        data={
            "number": surrogate.surrogate_number,
            "stage": surrogate.stage.key,
            "source": surrogate.source,
            "priority": surrogate.priority,
        },
    )


def surrogate_create_from_lead(
    *, organization_id: int, full_name: str, email: str = "", phone: str = "", state: str = "", source: str
) -> Surrogate:
    """A record made by an integration (no staff actor): first intake stage, owned by the
    Unassigned queue. Invalid phone or state values are dropped rather than refusing the lead."""
    state = (state or "").strip().upper()
    if state not in US_STATES:
        state = ""
    try:
        _check_contact(phone=phone)
    except SurrogateError:
        phone = ""
    stage = Stage.objects.filter(is_active=True, stage_type=StageType.INTAKE).order_by("order").first()
    if stage is None:
        raise SurrogateError("The pipeline has no active intake stage.")
    hashed_email = email_hash(email)
    with transaction.atomic():
        _check_unique_email(organization_id=organization_id, hashed=hashed_email)
        now = timezone.now()
        surrogate = Surrogate(
            organization_id=organization_id,
            number=_issue_number(organization_id),
            full_name=(full_name or "").strip()[:200] or "Unnamed lead",
            email=(email or "").strip(),
            email_hash=hashed_email,
            phone=(phone or "").strip(),
            phone_hash=phone_hash(phone),
            source=source,
            state=state,
            owner_queue=system_queue(organization_id, Queue.UNASSIGNED),
            stage=stage,
            stage_changed_at=now,
            created_at=now,
        )
        _insert_new_record(surrogate, actor=None)
    return surrogate


def surrogate_update(*, membership: Membership, surrogate: Surrogate, **changes) -> Surrogate:
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, surrogate)
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise SurrogateError(f"Cannot edit {', '.join(sorted(unknown))} here.")
    if "state" in changes:
        changes["state"] = (changes["state"] or "").strip().upper()
    changed = {field: value for field, value in changes.items() if getattr(surrogate, field) != value}
    if "full_name" in changed and not (changed["full_name"] or "").strip():
        raise SurrogateError("A full name is required.")
    if "owner" in changed:
        _check_owner(changed["owner"])
    _check_contact(phone=changed.get("phone"), date_of_birth=changed.get("date_of_birth"), state=changed.get("state"))
    if not changed:
        return surrogate
    with transaction.atomic():
        if "owner" in changed:
            new_owner = changed.pop("owner")
            queue = None if new_owner else system_queue(surrogate.organization_id, Queue.UNASSIGNED)
            set_owner(surrogate=surrogate, user=new_owner, queue=queue, actor=membership.user, via="edit")
            changed["owner"] = new_owner
        for field, value in changed.items():
            setattr(surrogate, field, value)
        if "email" in changed:
            surrogate.email_hash = email_hash(changed["email"])
            if surrogate.archived_at is None:
                _check_unique_email(
                    organization_id=surrogate.organization_id, hashed=surrogate.email_hash, exclude_pk=surrogate.pk
                )
        if "phone" in changed:
            surrogate.phone_hash = phone_hash(changed["phone"])
        try:
            with transaction.atomic():
                surrogate.save()
        except IntegrityError as exc:
            raise SurrogateError("An active surrogate with this email already exists.") from exc
        audit_record(actor=membership.user, action="surrogate.updated", target=surrogate, data=_audit_values(changed))
    return surrogate


def surrogate_archive(*, membership: Membership, surrogate: Surrogate) -> Surrogate:
    _require(membership, perms.ARCHIVE_SURROGATE)
    _same_org(membership, surrogate)
    if surrogate.archived_at is not None:
        raise SurrogateError("This surrogate is already archived.")
    with transaction.atomic():
        surrogate.archived_at = timezone.now()
        surrogate.save(update_fields=["archived_at", "updated_at"])
        audit_record(actor=membership.user, action="surrogate.archived", target=surrogate)
    return surrogate


def surrogate_restore(*, membership: Membership, surrogate: Surrogate) -> Surrogate:
    _require(membership, perms.ARCHIVE_SURROGATE)
    _same_org(membership, surrogate)
    if surrogate.archived_at is None:
        raise SurrogateError("This surrogate is not archived.")
    with transaction.atomic():
        _check_unique_email(
            organization_id=surrogate.organization_id, hashed=surrogate.email_hash, exclude_pk=surrogate.pk
        )
        surrogate.archived_at = None
        surrogate.save(update_fields=["archived_at", "updated_at"])
        audit_record(actor=membership.user, action="surrogate.restored", target=surrogate)
    return surrogate


