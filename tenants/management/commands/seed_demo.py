"""Seed two demo agencies. Idempotent: a second run changes nothing and prints the same manifest.

`--json` prints the manifest scripts and end-to-end tests drive the app with; its shape is a
contract: {"orgs": [{"slug", "name", "users": [{"email", "password", "role", "totp_secret"}],
"surrogates": [{"id", "url"}]}]}.
"""
import json as jsonlib
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenants.demo_seed import DEMO_ORGS, build_manifest, seed_organization


class Command(BaseCommand):
    help = "Create (or reuse) the demo organizations, users and surrogates; print logins."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the machine-readable manifest only")
        parser.add_argument(
            "--base-url",
            default=None,
            help="the server the manifest's URLs point at (default: PUBLIC_BASE_URL, else http://127.0.0.1:$PORT as scripts/dev serves)",
        )

    def handle(self, *args, base_url: str | None = None, **options):
        as_json = options["json"]
        base_url = base_url or _default_base_url()
        if settings.PROFILE in ("staging", "production"):
            raise CommandError("seed_demo creates known passwords; it is refused in staging/production.")
        for spec in DEMO_ORGS:
            seed_organization(spec)
        manifest = build_manifest(base_url=base_url.rstrip("/"))
        if as_json:
            self.stdout.write(_dumps(manifest))
            return
        self.stdout.write(self.style.SUCCESS(f"Demo ready at {base_url}/accounts/login/"))
        for org in manifest["orgs"]:
            self.stdout.write(f"\n{org['name']} ({org['slug']}), {len(org['surrogates'])} surrogates")
            for user in org["users"]:
                self.stdout.write(
                    f"  {user['role']:<18} {user['email']:<32} password: {user['password']}  MFA key: {user['totp_secret']}"
                )
        self.stdout.write(
            "\nAfter the password, enter the 6-digit code from: .venv/bin/python manage.py demo_totp <email>"
            "\n(or add the MFA key above to any authenticator app)."
        )


def _default_base_url() -> str:
    # The same derivation as scripts/dev, so `PORT=8831 manage.py seed_demo --json` matches a
    # server started with `PORT=8831 ./scripts/dev`.
    if os.environ.get("PUBLIC_BASE_URL"):
        return settings.PUBLIC_BASE_URL
    return f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"


def _dumps(data) -> str:
    return jsonlib.dumps(data, indent=2)
