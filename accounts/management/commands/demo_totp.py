"""Print the current authenticator code of a demo user, so a person can sign in to the seeded demo.

    .venv/bin/python manage.py demo_totp admin@harbor.example.com

Refused in staging/production: there, codes come only from the person's own authenticator.
"""
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from accounts.mfa import confirmed_device
from tenants.models import User


class Command(BaseCommand):
    help = "Print the current 6-digit MFA code of a (demo) user; dev and test only."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        if settings.PROFILE in ("staging", "production"):
            raise CommandError("demo_totp reads authenticator secrets; it is refused in staging/production.")
        user = User.objects.filter(email=email.strip().lower()).first()
        device = confirmed_device(user) if user else None
        if device is None:
            raise CommandError(f"No user with an authenticator for {email!r} (run seed_demo first).")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(str(code).zfill(device.digits))
