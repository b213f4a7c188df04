"""Business rules for application forms, links, submissions and staff attachments.

Keyword-only arguments, one domain error (FormsError), one transaction and one audit event per
action, run inside the caller's organization scope (request, public token or task).
"""
import datetime
import hashlib
import json
import secrets
from functools import lru_cache

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from forms_public.models import ApplicationLink, Form, FormVersion, Submission
from forms_public.schema import SchemaError, build_schema, mapped_changes
from forms_public.uploads import services as upload_services
from forms_public.uploads.detect import DEFAULT_ALLOWED, UploadRejected, check_upload
from surrogates.models import Surrogate
from surrogates.services import SurrogateError, surrogate_update
from tenants import permissions as perms
from tenants import public_rows
from tenants.audit import audit_record
from tenants.models import Organization
from tenants.public_rows import Part, column, select_list, table

TOKEN_BYTES = 32  # 256 bits
LINK_DAYS_DEFAULT, LINK_DAYS_MIN, LINK_DAYS_MAX = 14, 1, 60
STAFF_MAX_FILE_BYTES = 25 * 1024 * 1024


class FormsError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


def _require(membership, permission: str) -> None:
    if not perms.has_perm(membership, permission):
        raise FormsError("Your role does not allow this.")


def _same_org(membership, *objects) -> None:
    for obj in objects:
        if obj is not None and obj.organization_id != membership.organization_id:
            raise FormsError("That record belongs to another organization.")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Forms ------------------------------------------------------------------------------------


def form_publish(*, membership, form: Form) -> FormVersion:
    """Freeze the form's current fields as a new version; links issued from now on use it."""
    _require(membership, perms.MANAGE_ORGANIZATION)
    _same_org(membership, form)
    try:
        schema = build_schema(form, list(form.fields.all()))
    except SchemaError as exc:
        raise FormsError(" ".join(exc.args[0])) from exc
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=form.pk)
        number = (form.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = FormVersion.objects.create(
            organization_id=form.organization_id, form=form, number=number, schema=schema, published_by=membership.user
        )
        form.published_version = version
        form.save(update_fields=["published_version", "updated_at"])
        audit_record(actor=membership.user, action="form.published", target=form, data={"version": number})
    return version


# --- Links ------------------------------------------------------------------------------------


def link_issue(
    *, membership, surrogate, form: Form, days: int = LINK_DAYS_DEFAULT, token: str | None = None
) -> tuple[ApplicationLink, str]:
    """A new single-use link for this surrogate to the form's published version: (link, token).

    The token is returned once and never stored (only its SHA-256 is). `token` is for the demo
    seed only (forms_public.demo derives one it can recompute); everything else gets a random one."""
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, surrogate, form)
    if surrogate.archived_at is not None:
        raise FormsError("Restore this surrogate before sending a form.")
    if form.published_version_id is None:
        raise FormsError("This form has not been published yet.")
    if not LINK_DAYS_MIN <= int(days) <= LINK_DAYS_MAX:
        raise FormsError(f"A link lasts {LINK_DAYS_MIN} to {LINK_DAYS_MAX} days.")
    if token is None:
        token = secrets.token_urlsafe(TOKEN_BYTES)
    elif len(token) < 43:
        raise FormsError("A link token needs at least 256 bits.")
    now = timezone.now()
    with transaction.atomic():
        link = ApplicationLink.objects.create(
            organization_id=surrogate.organization_id,
            form_version_id=form.published_version_id,
            surrogate=surrogate,
            token_hash=hash_token(token),
            created_by=membership.user,
            created_at=now,
            expires_at=now + datetime.timedelta(days=int(days)),
        )
        audit_record(
            actor=membership.user,
            action="application_link.issued",
            target=surrogate,
            data={"link": str(link.public_id), "form": str(form.public_id), "expires_at": link.expires_at.isoformat()},
        )
    return link, token


def link_revoke(*, membership, link: ApplicationLink) -> ApplicationLink:
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, link)
    now = timezone.now()
    with transaction.atomic():
        changed = ApplicationLink.objects.filter(pk=link.pk, used_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=membership.user
        )
        if not changed:
            raise FormsError("This link was already used or revoked.")
        audit_record(actor=membership.user, action="application_link.revoked", target=link.surrogate,
                     data={"link": str(link.public_id)})
    link.refresh_from_db()
    return link


def link_for_token(token: str) -> ApplicationLink | None:
    """The open link this token names, or None (unknown, used, revoked, expired, archived record).

    Called by the public view's resolver, the one unscoped lookup of a public request."""
    if not token or len(token) > 100:
        return None
    return (
        ApplicationLink.objects.filter(
            token_hash=hash_token(token),
            used_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
            surrogate__archived_at__isnull=True,
        )
        .select_related("organization", "form_version", "surrogate")
        .first()
    )


_LINK = Part(ApplicationLink, "l", ("id", "organization_id", "form_version_id", "surrogate_id"))
_VERSION = Part(FormVersion, "v", ())
_SURROGATE = Part(Surrogate, "s", ())
_ORG = Part(Organization, "o", ("id", "name", "slug", "timezone"))
_SHOWN_PARTS = (_LINK, _ORG)


@lru_cache(maxsize=1)
def _shown_link_sql() -> str:
    return (
        f"SELECT {select_list(_SHOWN_PARTS)}, MD5(CAST({column(_VERSION, 'schema')} AS TEXT)) FROM {table(_LINK)}"
        f" JOIN {table(_VERSION)} ON {column(_VERSION, 'id')} = {column(_LINK, 'form_version_id')}"
        f" JOIN {table(_SURROGATE)} ON {column(_SURROGATE, 'id')} = {column(_LINK, 'surrogate_id')}"
        f" JOIN {table(_ORG)} ON {column(_ORG, 'id')} = {column(_LINK, 'organization_id')}"
        f" WHERE {column(_LINK, 'token_hash')} = %s AND {column(_LINK, 'used_at')} IS NULL"
        f" AND {column(_LINK, 'revoked_at')} IS NULL AND {column(_LINK, 'expires_at')} > %s"
        f" AND {column(_SURROGATE, 'archived_at')} IS NULL"
    )


def link_for_token_to_show(token: str) -> ApplicationLink | None:
    """The same open link (same conditions as link_for_token) for showing the empty form, in one
    plain statement (tenants.public_rows): the link's ids, its organization and the digest of its
    version's schema (`schema_digest`), no surrogate row (its PII would be decrypted for nothing);
    the version itself is loaded only when it must be rendered."""
    if not token or len(token) > 100:
        return None
    found = public_rows.fetch(_shown_link_sql(), [hash_token(token), timezone.now()], _SHOWN_PARTS)
    if found is None:
        return None
    link, organization, link.schema_digest = found
    link.organization = organization
    return link


# --- Submissions ------------------------------------------------------------------------------


def submission_create(
    *, link: ApplicationLink, answers: dict, files: dict, kinds: dict, image_bytes: dict | None = None
) -> Submission:
    """The applicant's submission: claim the link (single use), store answers and files, queue scans.

    `files` maps field key -> uploaded files already checked by the form (`kinds` maps each file
    to its detected Kind)."""
    now = timezone.now()
    with upload_services.removed_on_error() as written, transaction.atomic():
        claimed = ApplicationLink.objects.filter(
            pk=link.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(used_at=now)
        if claimed != 1:
            raise FormsError("This link is no longer valid.")
        submission = Submission.objects.create(
            organization_id=link.organization_id,
            link=link,
            form_version=link.form_version,
            surrogate=link.surrogate,
            answers_json=json.dumps(answers),
            submitted_at=now,
        )
        uploads = [
            upload_services.upload_store(
                surrogate=link.surrogate, uploaded=uploaded, kind=kinds[uploaded], written=written,
                submission=submission, field_key=key, image_bytes=(image_bytes or {}).get(uploaded),
            )
            for key, uploaded_files in files.items()
            for uploaded in uploaded_files
        ]
        audit_record(
            actor=None,
            action="application.submitted",
            target=link.surrogate,
            data={"submission": str(submission.public_id), "files": len(uploads)},
        )
        upload_services.uploads_enqueue_scan(uploads)
    return submission


def _lock_pending(submission: Submission) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    if locked.status != Submission.Status.PENDING:
        raise FormsError(f"This submission was already {locked.get_status_display().lower()}.")
    return locked


def submission_approve(*, membership, submission: Submission, note: str = "") -> Submission:
    """Copy the mapped answers into the surrogate's record (audited by surrogate_update too)."""
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, submission)
    with transaction.atomic():
        submission = _lock_pending(submission)
        changes = mapped_changes(submission.form_version.schema, submission.answers)
        try:
            surrogate_update(membership=membership, surrogate=submission.surrogate, **changes)
        except SurrogateError as exc:
            raise FormsError(f"Could not update the record: {exc}") from exc
        submission.status = Submission.Status.APPROVED
        submission.reviewed_by = membership.user
        submission.reviewed_at = timezone.now()
        submission.review_note = (note or "").strip()
        submission.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=membership.user,
            action="application.approved",
            target=submission.surrogate,
            data={"submission": str(submission.public_id), "applied": sorted(changes)},
        )
    return submission


def submission_reject(*, membership, submission: Submission, note: str) -> Submission:
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, submission)
    note = (note or "").strip()
    if not note:
        raise FormsError("Say why the submission is rejected.")
    with transaction.atomic():
        submission = _lock_pending(submission)
        submission.status = Submission.Status.REJECTED
        submission.reviewed_by = membership.user
        submission.reviewed_at = timezone.now()
        submission.review_note = note
        submission.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
        audit_record(actor=membership.user, action="application.rejected", target=submission.surrogate,
                     data={"submission": str(submission.public_id)})
    return submission


# --- Staff attachments ------------------------------------------------------------------------


def attachment_add(*, membership, surrogate, uploaded):
    """A staff member attaches a file to a record: same checks, storage and scan as applications."""
    _require(membership, perms.EDIT_SURROGATE)
    _same_org(membership, surrogate)
    try:
        kind = check_upload(
            uploaded, name=uploaded.name, declared_type=uploaded.content_type, size=uploaded.size,
            allowed=DEFAULT_ALLOWED, max_bytes=STAFF_MAX_FILE_BYTES,
        )
    except UploadRejected as exc:
        raise FormsError(f"This file {exc}") from exc
    with upload_services.removed_on_error() as written, transaction.atomic():
        try:
            upload = upload_services.upload_store(
                surrogate=surrogate, uploaded=uploaded, kind=kind, written=written, uploaded_by=membership.user
            )
        except UploadRejected as exc:
            raise FormsError(f"This file {exc}") from exc
        audit_record(actor=membership.user, action="upload.attached", target=surrogate,
                     data={"upload": str(upload.public_id), "kind": kind.key, "size": upload.size})
        upload_services.uploads_enqueue_scan([upload])
    return upload
