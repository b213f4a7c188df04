import getpass
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from tenants.management.org_command import OrgCommand
from tenants.models import Role
from tenants.services import TenantError, member_add


class Command(OrgCommand):
    help = "Create a user (or reuse one by email) and give them a role in an organization."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--name", default="")
        parser.add_argument("--password", default=None, help="omit to be prompted; --generate-password for a random one")
        parser.add_argument("--generate-password", action="store_true")

    def handle_in_org(self, organization, *args, email, role, name, password, generate_password, **options):
        if generate_password:
            password = secrets.token_urlsafe(18)
        elif password is None and options.get("interactive", True) and self.stdin_is_tty():
            password = getpass.getpass("Password: ")
        if password:
            try:
                validate_password(password)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        try:
            membership = member_add(organization=organization, email=email, role=role, password=password, full_name=name)
        except TenantError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"{membership.user.email} is now {role} in {organization.slug}."))
        if generate_password:
            self.stdout.write(f"Password: {password}")

    @staticmethod
    def stdin_is_tty() -> bool:
        import sys

        return sys.stdin.isatty()
