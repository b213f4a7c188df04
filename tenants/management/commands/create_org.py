from django.core.management.base import BaseCommand, CommandError

from tenants.services import TenantError, organization_create


class Command(BaseCommand):
    help = "Create an organization (an agency) with the default pipeline."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug", default="")
        parser.add_argument("--timezone", default="America/New_York", help="IANA name, e.g. America/Chicago")

    def handle(self, *args, name, slug, timezone, **options):
        try:
            organization = organization_create(name=name, slug=slug, timezone=timezone)
        except TenantError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created organization {organization.name} (slug {organization.slug})."))
