"""Set or replace a Facebook page's access token (creating the page mapping if needed).

    manage.py meta_page_token --org harbor --page-id 1234567890 [--name "Harbor on Facebook"]

The token is read from stdin (piped) or a hidden prompt, so it never lands in shell history or
the process list. `--token` on the command line works too, with a warning.
"""
import getpass
import sys

from django.core.management.base import CommandError

from integrations.meta.models import MetaPage
from integrations.meta.leads import meta_id
from tenants.audit import audit_record
from tenants.management.org_command import OrgCommand
from tenants.scope import unscoped


class Command(OrgCommand):
    help = "Set or replace a mapped Facebook page's access token (read from stdin or a prompt)."

    def add_arguments(self, parser):
        parser.add_argument("--page-id", required=True)
        parser.add_argument("--name", default="", help="page name (for a new mapping, or to rename)")
        parser.add_argument("--token", default=None, help="discouraged: visible in shell history and ps")
        parser.add_argument("--inactive", action="store_true", help="map the page but do not accept its leads")

    def handle_in_org(self, organization, *args, page_id, name, token, inactive, **options):
        page_id = meta_id(page_id)
        if not page_id:
            raise CommandError("--page-id must be the numeric Facebook page id.")
        if token is not None:
            self.stderr.write("Warning: a token given with --token stays in your shell history; prefer stdin.")
        else:
            token = self._read_token()
        token = (token or "").strip()
        if not token or any(ch.isspace() for ch in token):
            raise CommandError("No token read (an access token is one word without spaces).")
        with unscoped():
            taken = MetaPage.objects.filter(page_id=page_id).exclude(organization=organization).exists()
        if taken:
            raise CommandError(f"Page {page_id} is mapped to another organization.")
        page = MetaPage.objects.filter(page_id=page_id).first()
        created = page is None
        if created:
            page = MetaPage(organization=organization, page_id=page_id, name=name or f"Page {page_id}")
        elif name:
            page.name = name
        page.access_token = token
        page.is_active = not inactive
        page.save()
        audit_record(
            actor=None,
            action="meta.page_token_set",
            target=page,
            data={"page_id": page_id, "created": created, "via": "manage.py meta_page_token"},
        )
        self.stdout.write(f"{'Mapped' if created else 'Updated'} page {page_id} ({page.name}); token stored encrypted.")

    def _read_token(self) -> str:
        if sys.stdin.isatty():
            return getpass.getpass("Page access token: ")
        return sys.stdin.readline()
