"""Email templates, the log of every message (one row per send, keyed for idempotency),
campaigns and the organization's suppression list.

Addresses, subjects and bodies are PII: stored encrypted (EncryptedTextField), matched by the
keyed lookup hash (tenants.pii.email_hash).
"""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.fields import EncryptedTextField
from tenants.models import Membership, PublicIdMixin, TenantModel, User


class EmailTemplate(PublicIdMixin, TenantModel):
    name = models.CharField(max_length=120)
    subject = models.CharField(max_length=200)
    body_html = models.TextField()  # sanitised with nh3 by the service before it is stored
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "name"], name="email_template_name_once_per_org"),
        )

    def __str__(self):
        return self.name


class Suppression(TenantModel):
    """An address this organization must not email again (unsubscribed, or added by staff)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        MANUAL = "manual", "Added by staff"

    email_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "email_hash"], name="suppression_once_per_org"),
        )


class Campaign(PublicIdMixin, TenantModel):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Sending"
        DONE = "done", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=120)
    template = models.ForeignKey(EmailTemplate, on_delete=models.PROTECT, related_name="+")
    # Recipient filters as chosen (stage keys, source, priority, created range); re-read at launch.
    filters = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    sender = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints()
        indexes = [models.Index(fields=["state", "scheduled_for"], name="campaign_state_due")]

    def __str__(self):
        return self.name


class EmailLog(PublicIdMixin, TenantModel):
    """One message. Claimed (conditional UPDATE) before the provider call, finalised after.

    queued -> sending (claimed, lease_until set) -> sent | failed; a send that provably did not
    land goes back to queued; an ambiguous one stays `sending` and is reconciled (mailbox search
    for message_id) before any new attempt. skipped = never sent (suppressed address).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    idempotency_key = models.CharField(max_length=200)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    sender = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    surrogate = models.ForeignKey(
        "surrogates.Surrogate", null=True, blank=True, on_delete=models.SET_NULL, related_name="email_logs"
    )
    template = models.ForeignKey(EmailTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="email_logs")
    to_email = EncryptedTextField()
    to_hash = models.CharField(max_length=64)
    subject = EncryptedTextField()
    body_html = EncryptedTextField()  # as sent: sanitised, variables filled, links rewritten, pixel added
    message_id = models.CharField(max_length=200, unique=True)  # our RFC 822 Message-ID, <...@...>
    unsubscribe = models.BooleanField(default=False)  # campaign mail: List-Unsubscribe headers and link
    transport = models.CharField(max_length=16, blank=True)
    claim_version = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)  # provider calls made
    lease_until = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    skip_reason = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Tracking counters (human events; machine ones are counted separately).
    opened_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    machine_open_count = models.PositiveIntegerField(default=0)
    clicked_at = models.DateTimeField(null=True, blank=True)
    click_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="email_log_key_once_per_org"),
            models.UniqueConstraint(
                fields=["campaign", "to_hash"], condition=Q(campaign__isnull=False), name="campaign_address_once"
            ),
        )
        indexes = [models.Index(fields=["organization", "surrogate", "-created_at"], name="email_log_surrogate")]

    @staticmethod
    def new_message_id() -> str:
        return f"<{uuid.uuid4().hex}@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


class CampaignSkip(TenantModel):
    """A matched recipient the campaign did not email, and why (no PII: the surrogate and a reason)."""

    class Reason(models.TextChoices):
        SUPPRESSED = "suppressed", "Unsubscribed or suppressed"
        NO_EMAIL = "no_email", "No email address"
        DUPLICATE = "duplicate", "Same address as another recipient"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="skips")
    surrogate = models.ForeignKey("surrogates.Surrogate", null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=16, choices=Reason.choices)

    class Meta:
        constraints = TenantModel.tenant_constraints()
