"""Management commands' entry point into the organization scope."""
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Organization
from tenants.scope import org_scope


class OrgCommand(BaseCommand):
    """A command that works inside one organization: `--org <slug>`, then handle_in_org()."""

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument("--org", required=True, help="organization slug")
        return parser

    def handle(self, *args, org, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}.")
        with org_scope(organization):
            return self.handle_in_org(organization, *args, **options)

    def handle_in_org(self, organization, *args, **options):
        raise NotImplementedError
