from django.db import models
from django.utils import timezone

from tenants.fields import EncryptedTextField
from tenants.models import Membership, TenantModel


class GmailConnection(TenantModel):
    """One staff member's Google mailbox. `needs_reconnect` is set when Google refuses the token
    (401 / invalid_grant): sends stop until the member connects again."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="gmail_connection")
    email_address = EncryptedTextField()
    access_token = EncryptedTextField()
    needs_reconnect = models.BooleanField(default=False)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "integrations"
        constraints = TenantModel.tenant_constraints()
