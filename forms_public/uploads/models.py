from django.db import models
from django.utils import timezone

from tenants.fields import EncryptedTextField
from tenants.models import PublicIdMixin, TenantModel, User


class Upload(PublicIdMixin, TenantModel):
    """One stored file: on a surrogate record, from an application form or attached by staff."""

    class ScanState(models.TextChoices):
        PENDING = "pending", "Awaiting scan"
        CLEAN = "clean", "Clean"
        INFECTED = "infected", "Infected (deleted)"
        ERROR = "error", "Scan failed"

    surrogate = models.ForeignKey("surrogates.Surrogate", on_delete=models.CASCADE, related_name="uploads")
    submission = models.ForeignKey(
        "forms_public.Submission", null=True, blank=True, on_delete=models.CASCADE, related_name="uploads"
    )
    field_key = models.CharField(max_length=64, blank=True)
    original_name = EncryptedTextField()  # file names often carry a person's name
    kind = models.CharField(max_length=16)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=80, blank=True)  # emptied once the bytes are deleted
    scan_state = models.CharField(max_length=12, choices=ScanState.choices, default=ScanState.PENDING)
    scan_attempts = models.PositiveSmallIntegerField(default=0)
    next_scan_at = models.DateTimeField(null=True, blank=True)
    scanned_at = models.DateTimeField(null=True, blank=True)
    scan_detail = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints()
        indexes = [models.Index(fields=["scan_state", "next_scan_at"], name="upload_rescan")]

    def __str__(self):
        return f"{self.kind} upload ({self.get_scan_state_display()})"

    @property
    def is_downloadable(self) -> bool:
        return self.scan_state == self.ScanState.CLEAN and bool(self.storage_name)
