from django.db import models
from django.utils import timezone

from tenants.fields import EncryptedTextField
from tenants.models import Membership, TenantModel


class Provider(models.TextChoices):
    GMAIL = "gmail", "Gmail"
    ZOOM = "zoom", "Zoom"
    GOOGLE_CALENDAR = "google_calendar", "Google Calendar"


class OAuthConnection(TenantModel):
    """One member's OAuth grant at one provider. Tokens and the account address are Fernet
    ciphertext in the database; `last_error` holds a short reason, never a token or provider body.

    `status` reconnect_needed means the provider refused the grant (revoked, invalid_grant):
    callers get ReconnectNeeded without any provider call until the member connects again.
    """

    class Status(models.TextChoices):
        CONNECTED = "connected", "Connected"
        RECONNECT_NEEDED = "reconnect_needed", "Reconnect needed"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="oauth_connections")
    provider = models.CharField(max_length=32, choices=Provider.choices)
    account_email = EncryptedTextField(blank=True)
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the access token expires; empty if unknown.")
    scopes = models.TextField(blank=True, help_text="Space-separated scopes the provider granted.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CONNECTED)
    last_error = models.CharField(max_length=300, blank=True)
    connected_at = models.DateTimeField(default=timezone.now)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "integrations"
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["membership", "provider"], name="oauth_connection_one_per_provider"),
        )

    def __str__(self):
        return f"{self.get_provider_display()} ({self.get_status_display()})"

    @property
    def is_connected(self) -> bool:
        return self.status == self.Status.CONNECTED and bool(self.access_token)
