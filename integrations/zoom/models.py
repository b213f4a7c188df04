"""A Zoom meeting we asked Zoom to create, one row per idempotency key.

pending -> creating (claimed, lease_until set; integrations.leases) -> created | failed.
A row found `creating` with its lease lapsed may already exist on Zoom: it is looked up by
the tracking field carrying our idempotency key before any new create.
"""
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone

from tenants.fields import EncryptedTextField
from tenants.models import Membership, PublicIdMixin, TenantModel, validate_timezone

MAX_DURATION_MINUTES = 24 * 60


class ZoomMeeting(PublicIdMixin, TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be created"
        CREATING = "creating", "Being created"
        CREATED = "created", "Created"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")  # the host
    appointment = models.ForeignKey(
        "booking.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="zoom_meetings"
    )
    surrogate = models.ForeignKey(
        "surrogates.Surrogate", null=True, blank=True, on_delete=models.SET_NULL, related_name="zoom_meetings"
    )
    topic = EncryptedTextField()  # often names the applicant
    start_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DURATION_MINUTES)]
    )
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    idempotency_key = models.CharField(max_length=64)  # also sent to Zoom as a tracking field
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=300, blank=True)
    zoom_meeting_id = models.CharField(max_length=32, blank=True)
    join_url = EncryptedTextField(blank=True)  # carries the passcode: for staff and confirmed visitors
    start_url = EncryptedTextField(blank=True)  # a host credential: staff only, never logged
    attempts = models.PositiveSmallIntegerField(default=0)  # create calls made
    claim_version = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="zoom_meeting_key_once_per_org"),
        )
        indexes = [
            models.Index(fields=["organization", "appointment"], name="zoom_meeting_appointment"),
            models.Index(fields=["organization", "surrogate"], name="zoom_meeting_surrogate"),
        ]

    def __str__(self):
        return f"Zoom meeting {self.public_id}"

    @property
    def is_done(self) -> bool:
        return self.status in (self.Status.CREATED, self.Status.FAILED)
