"""Background work for surrogates: the CSV import runs here, inside the organization's scope."""
from celery import shared_task

from surrogates import imports
from surrogates.models import ImportJob
from tenants.tasks import OrgScopedTask


@shared_task(base=OrgScopedTask, name="surrogates.import_run")
def import_run(*, organization_id: int, job_id: int) -> dict:
    job = ImportJob.objects.get(pk=job_id)
    if job.state != ImportJob.State.QUEUED:
        return {"skipped": "not queued"}
    job = imports.run_job(job_id=job.pk, membership=imports.membership_for(job))
    return {"created": job.created_count, "skipped": job.skipped_count, "failed": job.failed_count}
