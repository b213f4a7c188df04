"""Recovery codes (the second factor's fallback) and the record of each signed-in session.

Neither is tenant-owned: both belong to the person, whatever organization they work in.
The TOTP authenticator itself is django-otp's TOTPDevice.
"""
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.fields import EncryptedTextField


class RecoveryCode(models.Model):
    """One single-use recovery code, stored only as a keyed hash (accounts.mfa.recovery_code_hash)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_once_per_user")]

    def __str__(self):
        return f"recovery code of user {self.user_id} ({'used' if self.used_at else 'unused'})"


class UserSession(models.Model):
    """A signed-in browser session, so its owner can see it and end it.

    The session key is never stored in clear: `key_hash` (HMAC-SHA256 with the server's lookup key)
    finds the row for the current request, and `key_ciphertext` (MultiFernet) lets revocation
    delete the session from whichever session store is configured. The client address is kept
    only as its masked network (IPv4 /24, IPv6 /64).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions")
    key_hash = models.CharField(max_length=64, unique=True)
    key_ciphertext = EncryptedTextField()
    browser = models.CharField(max_length=80, blank=True)
    os = models.CharField(max_length=80, blank=True)
    device = models.CharField(max_length=80, blank=True)
    ip_network = models.CharField(max_length=64, blank=True, help_text="Masked: IPv4 /24, IPv6 /64.")
    created_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_active_at", "-id"]
        indexes = [models.Index(fields=["user", "-last_active_at"], name="usersession_user_recent")]

    def __str__(self):
        return f"session of user {self.user_id} ({self.browser or 'unknown browser'})"
