"""Scan tasks: one upload at a time (org-scoped), and a periodic sweep for pending uploads whose
backoff has passed (celery beat: CELERY_BEAT_SCHEDULE["rescan-pending-uploads"])."""
from celery import shared_task
from django.utils import timezone

from forms_public.uploads.models import Upload
from tenants.scope import unscoped
from tenants.tasks import OrgScopedTask

SWEEP_BATCH = 500


@shared_task(base=OrgScopedTask, bind=True, name="forms_public.scan_upload", max_retries=None)
def scan_upload(self, *, organization_id: int, upload_id: int) -> str:
    from forms_public.uploads import services

    upload = Upload.objects.select_related("surrogate", "surrogate__owner", "uploaded_by").filter(pk=upload_id).first()
    if upload is None:
        return "missing"
    upload = services.upload_scan(upload=upload)
    if upload.scan_state == Upload.ScanState.PENDING and not self.request.is_eager and upload.next_scan_at:
        # Bounded: upload_scan turns the upload to `error` after MAX_SCAN_ATTEMPTS.
        countdown = max(1, int((upload.next_scan_at - timezone.now()).total_seconds()))
        raise self.retry(countdown=countdown)
    return upload.scan_state


@shared_task(name="forms_public.rescan_pending_uploads")
def rescan_pending_uploads() -> int:
    """Ops sweep across organizations (hence unscoped): enqueue a scan for every pending upload
    that is due. Each scan then runs inside its own organization's scope."""
    now = timezone.now()
    with unscoped():
        due = list(
            Upload.objects.filter(scan_state=Upload.ScanState.PENDING)
            .exclude(next_scan_at__gt=now)
            .values_list("organization_id", "pk")[:SWEEP_BATCH]
        )
    for organization_id, upload_id in due:
        scan_upload.delay(organization_id=organization_id, upload_id=upload_id)
    return len(due)
