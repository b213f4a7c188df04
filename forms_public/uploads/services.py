"""Storing and scanning uploads. Callers: forms_public.services (applications), the staff attach
view, and the scan tasks. Runs inside the caller's organization scope."""
import datetime
import logging
import os
import re
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from forms_public.uploads import clamd, storage
from forms_public.uploads.detect import Kind
from forms_public.uploads.images import strip_metadata
from forms_public.uploads.models import Upload
from tenants.audit import audit_record

logger = logging.getLogger(__name__)

MAX_SCAN_ATTEMPTS = 12
BACKOFF_BASE = datetime.timedelta(minutes=1)
BACKOFF_CAP = datetime.timedelta(hours=1)
_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+", re.UNICODE)
State = Upload.ScanState


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4 ... minutes after each failed attempt, at most an hour."""
    return min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))


def safe_name(name: str, kind: Kind) -> str:
    """A display/download name: no path, no control or odd characters, the real type's extension."""
    base = os.path.basename((name or "").replace("\\", "/"))
    stem = _UNSAFE_NAME.sub("_", os.path.splitext(base)[0]).strip(" ._")[:100] or "file"
    return f"{stem}{kind.extensions[0]}"


@contextmanager
def removed_on_error():
    """Collects storage names written inside the block; deletes them if the block fails."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            storage.delete(name)
        raise


def upload_store(
    *, surrogate, uploaded, kind: Kind, written: list, submission=None, field_key: str = "", uploaded_by=None,
    image_bytes: bytes | None = None,
) -> Upload:
    """Store one checked file (see detect.check_upload) as a pending upload; the caller enqueues
    the scan with `uploads_enqueue_scan` once its transaction commits. Images are stored
    re-encoded without metadata (`image_bytes` if the caller already did that)."""
    if kind.is_image:
        chunks = [image_bytes if image_bytes is not None else strip_metadata(uploaded, kind=kind.key)]
    else:
        uploaded.seek(0)
        chunks = uploaded.chunks()
    storage_name, sha256, size = storage.write(organization_id=surrogate.organization_id, chunks=chunks)
    written.append(storage_name)
    return Upload.objects.create(
        organization_id=surrogate.organization_id,
        surrogate=surrogate,
        submission=submission,
        field_key=field_key,
        original_name=safe_name(uploaded.name, kind),
        kind=kind.key,
        content_type=kind.content_type,
        size=size,
        sha256=sha256,
        storage_name=storage_name,
        uploaded_by=uploaded_by,
    )


def uploads_enqueue_scan(uploads) -> None:
    from forms_public.uploads.tasks import scan_upload

    for upload in uploads:
        transaction.on_commit(
            lambda upload=upload: scan_upload.delay(organization_id=upload.organization_id, upload_id=upload.pk)
        )


def _claim(upload: Upload, **values) -> bool:
    """Write the scan outcome only if the upload is still pending (two scanners never both win)."""
    return Upload.objects.filter(pk=upload.pk, scan_state=State.PENDING).update(**values) == 1


def upload_scan(*, upload: Upload) -> Upload:
    """Scan a pending upload with clamd. Scanner down or erring: stays pending with a backoff,
    and becomes `error` after MAX_SCAN_ATTEMPTS; never `clean` without a clean verdict."""
    if upload.scan_state != State.PENDING:
        return upload
    now = timezone.now()
    if not settings.VIRUS_SCAN_ENABLED:
        # dev only: the deploy guard refuses VIRUS_SCAN_ENABLED=false in staging/production.
        _claim(upload, scan_state=State.CLEAN, scanned_at=now, scan_detail="not scanned (scanning is off in dev)")
        upload.refresh_from_db()
        return upload
    try:
        with storage.open_stored(upload.storage_name) as handle:
            result = clamd.scan_stream(handle, address=settings.CLAMAV_ADDRESS)
        failure = f"scanner error: {result.error}" if result.error else ""
    except clamd.ScannerUnavailable as exc:
        result, failure = None, f"scanner unavailable: {exc}"
    if failure:
        attempts = upload.scan_attempts + 1
        final = attempts >= MAX_SCAN_ATTEMPTS
        _claim(
            upload,
            scan_attempts=attempts,
            next_scan_at=None if final else now + backoff(attempts),
            scan_state=State.ERROR if final else State.PENDING,
            scan_detail=failure[:200],
        )
        logger.warning("Upload %s not scanned (attempt %s): %s", upload.public_id, attempts, failure)
        if final:
            audit_record(actor=None, action="upload.scan_failed", target=upload.surrogate,
                         data={"upload": str(upload.public_id), "attempts": attempts})
    elif result.infected:
        with transaction.atomic():
            if _claim(upload, scan_state=State.INFECTED, scanned_at=now, scan_detail=result.signature,
                      scan_attempts=upload.scan_attempts + 1, next_scan_at=None, storage_name=""):
                audit_record(actor=None, action="upload.infected", target=upload.surrogate,
                             data={"upload": str(upload.public_id), "signature": result.signature})
                transaction.on_commit(lambda: _notify_infected(upload, result.signature))
        storage.delete(upload.storage_name)
    else:
        if _claim(upload, scan_state=State.CLEAN, scanned_at=now, scan_detail="",
                  scan_attempts=upload.scan_attempts + 1, next_scan_at=None):
            audit_record(actor=None, action="upload.scanned_clean", target=upload.surrogate,
                         data={"upload": str(upload.public_id)})
    upload.refresh_from_db()
    return upload


def _notify_infected(upload: Upload, signature: str) -> None:
    """Tell the record's owner (and the staff uploader) that a file was blocked. No PII in the mail."""
    surrogate = upload.surrogate
    recipients = {u.email for u in (surrogate.owner, upload.uploaded_by) if u is not None and u.email}
    if not recipients:
        return
    path = reverse("surrogates:detail", args=[surrogate.public_id])
    body = (
        f"A file uploaded to {surrogate.surrogate_number} matched the virus signature {signature} "
        f"and was deleted before anyone could open it.\n\nRecord: {path}\n"
    )
    try:
        send_mail("Cradle: an uploaded file was blocked", body, None, sorted(recipients))
    except Exception:  # the audit entry stands; a mail outage must not undo the quarantine
        logger.exception("Could not send the infected-upload notice for %s", upload.public_id)


def upload_open_verified(upload: Upload):
    """The stored bytes of a clean upload, after checking they still match their SHA-256."""
    if not upload.is_downloadable:
        raise storage.StorageError("This file is not available.")
    if storage.sha256_of(upload.storage_name) != upload.sha256:
        logger.error("Upload %s failed its integrity check", upload.public_id)
        raise storage.StorageError("This file failed its integrity check.")
    return storage.open_stored(upload.storage_name)
