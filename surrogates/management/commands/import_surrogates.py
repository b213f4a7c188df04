"""Import surrogates from a CSV file: `manage.py import_surrogates FILE --org SLUG [--as EMAIL]`.

The same reader, checks and per-row outcomes as the import page; a progress bar on stderr;
a malformed file is a clear error (exit code 1), a bad row is reported and skipped.
"""
import sys
from pathlib import Path

from django.core.management.base import CommandError

from surrogates import imports
from surrogates.imports import MAX_IMPORT_BYTES, ImportFileError
from tenants.management.org_command import OrgCommand
from tenants.models import Membership, Role


class Command(OrgCommand):
    help = "Import surrogates from a CSV file into one organization."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the CSV file (UTF-8, first row names the columns)")
        parser.add_argument("--as", dest="as_email", default="", help="member to import as (default: an admin)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle_in_org(self, organization, *args, file, as_email="", no_progress=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        if path.stat().st_size > MAX_IMPORT_BYTES:
            raise CommandError("The file is larger than 10 MB.")
        membership = self._membership(organization, as_email)
        try:
            job, preview = imports.job_create(membership=membership, file_name=path.name, data=path.read_bytes())
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        mapped = ", ".join(f"{preview.header[int(i)]} -> {name}" for i, name in sorted(preview.mapping.items(), key=lambda x: int(x[0])))
        self.stdout.write(f"{preview.total} rows; columns: {mapped}")
        imports.job_start(membership=membership, job=job)
        bar = None if no_progress else self._bar
        job = imports.run_job(job_id=job.pk, membership=membership, progress=bar)
        if bar:
            sys.stderr.write("\n")
        for result in job.results:
            if result["outcome"] != "created":
                self.stdout.write(f"  row {result['row']}: {result['outcome']} ({result['reason']})")
        self.stdout.write(
            self.style.SUCCESS(f"Created {job.created_count}, skipped {job.skipped_count}, failed {job.failed_count}.")
        )

    def _membership(self, organization, as_email):
        memberships = Membership.objects.filter(organization=organization, is_active=True).select_related("user")
        if as_email:
            membership = memberships.filter(user__email=as_email.strip().lower()).first()
            if membership is None:
                raise CommandError(f"{as_email} is not an active member of {organization.slug}.")
        else:
            membership = memberships.filter(role=Role.ADMIN).order_by("pk").first()
            if membership is None:
                raise CommandError(f"{organization.slug} has no active admin; pass --as EMAIL.")
        return membership

    @staticmethod
    def _bar(done: int, total: int) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()


