from django.db import models
from django.utils import timezone

from tenants.models import TenantModel


class AuditEntry(TenantModel):
    """One link of an organization's chain. Never updated or deleted (PostgreSQL refuses both).

    `entry_hash` = SHA-256 over this row's canonical JSON including `prev_hash`, so changing,
    removing or reordering any row breaks every later link. Actor and target are plain values,
    not foreign keys: deleting a user must not rewrite history. No raw PII: emails appear only
    as keyed hashes, IPs masked to their network.
    """

    seq = models.PositiveBigIntegerField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    actor_id = models.BigIntegerField(null=True, blank=True, editable=False)
    action = models.CharField(max_length=64, editable=False)
    target_type = models.CharField(max_length=64, blank=True, editable=False)
    target_id = models.CharField(max_length=64, blank=True, editable=False)
    data = models.JSONField(default=dict, blank=True, editable=False)
    ip = models.CharField(max_length=64, blank=True, editable=False)  # masked: /24 or /64
    prev_hash = models.CharField(max_length=64, editable=False)
    entry_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "seq"], name="audit_entry_seq_once_per_org"),
        )
        indexes = [
            models.Index(fields=["organization", "action", "-seq"], name="audit_org_action_seq"),
            models.Index(fields=["organization", "created_at"], name="audit_org_created"),
        ]

    def __str__(self):
        return f"#{self.seq} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("Audit entries are append-only.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")
