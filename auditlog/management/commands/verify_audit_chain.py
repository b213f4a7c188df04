"""Check every organization's audit chain (or one: --org SLUG); report the first broken link.

Exit status 0 when every chain is intact, 1 (CommandError) when any is broken.
"""
from django.core.management.base import BaseCommand, CommandError

from auditlog import chain
from tenants.models import Organization
from tenants.scope import org_scope


class Command(BaseCommand):
    help = "Verify the tamper-evident audit chain of every organization (or --org SLUG)."

    def add_arguments(self, parser):
        parser.add_argument("--org", default="", help="only this organization slug")

    def handle(self, *args, org="", **options):
        organizations = Organization.objects.order_by("slug")
        if org:
            organizations = organizations.filter(slug=org)
            if not organizations.exists():
                raise CommandError(f"No organization with slug {org!r}.")
        broken = []
        for organization in organizations:
            with org_scope(organization):
                checked, fault = chain.verify(organization.pk)
            if fault is None:
                self.stdout.write(f"{organization.slug}: OK ({checked} entries)")
            else:
                message = f"{organization.slug}: BROKEN at entry #{fault.seq}: {fault.reason} ({checked} entries before it are intact)"
                self.stdout.write(self.style.ERROR(message))
                broken.append(organization.slug)
        if broken:
            raise CommandError(f"Audit chain broken for: {', '.join(broken)}")
