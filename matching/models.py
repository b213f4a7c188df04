from django.db import models
from django.db.models import Q
from django.utils import timezone

from surrogates.models import Surrogate
from tenants.fields import EncryptedTextField
from tenants.models import DecisionRequest, PublicIdMixin, TenantModel, User, validate_timezone


class IntendedParentStatus(models.TextChoices):
    NEW = "new", "New"
    READY_TO_MATCH = "ready_to_match", "Ready to match"
    MATCHED = "matched", "Matched"
    DELIVERED = "delivered", "Delivered"


IP_STATUS_ORDER = [choice for choice in IntendedParentStatus.values]


class IntendedParent(PublicIdMixin, TenantModel):
    number = models.PositiveIntegerField(editable=False)
    full_name = models.CharField(max_length=200)
    email = EncryptedTextField(blank=True, default="")
    email_hash = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    phone = EncryptedTextField(blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    state = models.CharField(max_length=64, blank=True, help_text="State or region of residence")
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    internal_notes = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=IntendedParentStatus.choices, default=IntendedParentStatus.NEW)
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "number"], name="intended_parent_number_once_per_org"),
        )
        indexes = [models.Index(fields=["organization", "status", "-created_at"], name="ip_org_status_created")]

    def __str__(self):
        return f"{self.ip_number} {self.full_name}"

    @property
    def ip_number(self) -> str:
        return f"I{self.number}"


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    REVIEWING = "reviewing", "Reviewing"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


OPEN_MATCH_STATUSES = [MatchStatus.PROPOSED, MatchStatus.REVIEWING]


class Match(PublicIdMixin, TenantModel):
    surrogate = models.ForeignKey(Surrogate, on_delete=models.PROTECT, related_name="matches")
    intended_parent = models.ForeignKey(IntendedParent, on_delete=models.PROTECT, related_name="matches")
    status = models.CharField(max_length=12, choices=MatchStatus.choices, default=MatchStatus.PROPOSED)
    proposed_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    first_viewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            # The rule the whole workflow rests on, held by the database even if a check is skipped.
            models.UniqueConstraint(
                fields=["surrogate"], condition=Q(status="accepted"), name="one_accepted_match_per_surrogate"
            ),
            models.UniqueConstraint(
                fields=["surrogate", "intended_parent"],
                condition=Q(status__in=["proposed", "reviewing", "accepted"]),
                name="match_pair_once_while_open",
            ),
        )

    def __str__(self):
        return f"Match {self.surrogate_id}/{self.intended_parent_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_MATCH_STATUSES


class MatchApproval(DecisionRequest):
    """An admin's decision this app waits for: an intended parent moving back, or un-accepting a match."""

    class Kind(models.TextChoices):
        PARENT_STATUS = "parent_status", "Intended parent moves back"
        CANCEL_MATCH = "cancel_match", "Cancel an accepted match"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    intended_parent = models.ForeignKey(IntendedParent, on_delete=models.CASCADE, related_name="approvals")
    match = models.ForeignKey(Match, null=True, blank=True, on_delete=models.CASCADE, related_name="approvals")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)

    class Meta(DecisionRequest.Meta):
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(
                fields=["intended_parent", "to_status"],
                condition=Q(state="pending", kind="parent_status"),
                name="one_pending_parent_move_per_target",
            ),
            models.UniqueConstraint(
                fields=["match"], condition=Q(state="pending", kind="cancel_match"), name="one_pending_cancel_per_match"
            ),
        )


class MatchEvent(PublicIdMixin, TenantModel):
    class Kind(models.TextChoices):
        MEDICATION = "medication", "Medication"
        EXAM = "exam", "Exam"
        LEGAL = "legal", "Legal"
        DELIVERY = "delivery", "Delivery"
        CUSTOM = "custom", "Custom"

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    time_zone = models.CharField(max_length=64, validators=[validate_timezone])
    details = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = TenantModel.tenant_constraints()
        indexes = [models.Index(fields=["organization", "starts_at"], name="match_event_org_starts")]
