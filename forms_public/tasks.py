"""Celery discovers tasks here; the upload scan tasks live with the upload pipeline."""
from forms_public.uploads.tasks import rescan_pending_uploads, scan_upload  # noqa: F401
