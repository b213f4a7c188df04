import json

from django.db import models
from django.utils import timezone

from tenants.fields import EncryptedTextField
from tenants.models import TenantModel


class EncryptedJSONField(EncryptedTextField):
    """A JSON value stored as Fernet ciphertext (lead answers are PII: never plaintext JSON)."""

    def from_plaintext(self, text):
        return json.loads(text)

    def to_plaintext(self, value):
        return json.dumps(value, sort_keys=True)


class MetaPage(TenantModel):
    """A Facebook page whose lead ads feed this organization. A page belongs to one organization."""

    page_id = models.CharField(max_length=32, unique=True, help_text="The numeric Facebook page id.")
    name = models.CharField(max_length=200)
    access_token = EncryptedTextField(blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = TenantModel.tenant_constraints()

    def __str__(self):
        return f"{self.name} ({self.page_id})"


class MetaLead(TenantModel):
    """One leadgen event, stored before the webhook is acknowledged; processed by a task."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        CREATED = "created", "Surrogate created"
        LINKED = "linked", "Linked to an existing surrogate"
        FAILED = "failed", "Failed"

    leadgen_id = models.CharField(max_length=32, unique=True)
    page = models.ForeignKey(MetaPage, on_delete=models.PROTECT, related_name="leads")
    form_id = models.CharField(max_length=32, blank=True, default="")
    ad_id = models.CharField(max_length=32, blank=True, default="")
    adset_id = models.CharField(max_length=32, blank=True, default="")
    campaign_id = models.CharField(max_length=32, blank=True, default="")
    created_time = models.DateTimeField(null=True, blank=True, help_text="When Meta says the lead was made.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RECEIVED)
    # Shown to admins; never contains lead PII (an error class and Graph's code/message only).
    failure_reason = models.CharField(max_length=300, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    # Normalised answers (name, email, phone, state, custom questions), encrypted at rest.
    field_data = EncryptedJSONField(blank=True, null=True)
    surrogate = models.ForeignKey(
        "surrogates.Surrogate", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = TenantModel.tenant_constraints()
        indexes = [models.Index(fields=["status", "received_at"], name="meta_lead_status_received")]

    def __str__(self):
        return f"lead {self.leadgen_id}"


class MetaSettings(TenantModel):
    """Per-organization Conversions API switch. Off (or no row) means nothing is sent."""

    capi_enabled = models.BooleanField(default=False, verbose_name="Send Conversions API events")
    pixel_id = models.CharField(max_length=32, blank=True, default="", help_text="Dataset (pixel) id for CRM events.")
    capi_access_token = EncryptedTextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Meta settings"
        verbose_name_plural = "Meta settings"
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization"], name="meta_settings_once_per_org"),
        )

    def __str__(self):
        return "Conversions API " + ("on" if self.capi_enabled else "off")


class ConversionEvent(TenantModel):
    """One CAPI event per lead and status bucket. The row is the idempotency key: its event_id is
    stable, so a resend is deduplicated by Meta, and a sent row is never sent again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (switched off)"

    lead = models.ForeignKey(MetaLead, on_delete=models.CASCADE, related_name="conversion_events")
    bucket = models.CharField(max_length=16)
    event_id = models.CharField(max_length=80, unique=True)
    event_name = models.CharField(max_length=40)
    event_time = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-event_time", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["lead", "bucket"], name="conversion_event_once_per_bucket"),
        )

    def __str__(self):
        return self.event_id
