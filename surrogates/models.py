from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.fields import EncryptedDateField, EncryptedTextField
from tenants.models import DecisionRequest, PublicIdMixin, TenantModel, User


class StageType(models.TextChoices):
    INTAKE = "intake", "Intake"
    POST_APPROVAL = "post_approval", "Post-approval"
    TERMINAL = "terminal", "Terminal"


class Stage(TenantModel):
    key = models.SlugField(max_length=64)
    label = models.CharField(max_length=100)
    order = models.PositiveIntegerField()
    stage_type = models.CharField(max_length=16, choices=StageType.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "key"], name="stage_key_once_per_org"),
            # Order decides what counts as a regression, so two stages may never share one.
            models.UniqueConstraint(fields=["organization", "order"], name="stage_order_once_per_org"),
        )

    def __str__(self):
        return self.label


class Source(models.TextChoices):
    MANUAL = "manual", "Manual entry"
    WEBSITE = "website", "Website"
    META = "meta", "Meta lead ads"
    REFERRAL = "referral", "Referral"
    IMPORT = "import", "Import"
    OTHER = "other", "Other"


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Queue(PublicIdMixin, TenantModel):
    """A shared owner of records. System queues exist in every organization and cannot be removed."""

    UNASSIGNED = "unassigned"
    SURROGATE_POOL = "surrogate_pool"
    SYSTEM_NAMES = {UNASSIGNED: "Unassigned", SURROGATE_POOL: "Surrogate Pool"}

    name = models.CharField(max_length=100)
    system_key = models.CharField(max_length=32, blank=True, default="", editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "name"], name="queue_name_once_per_org"),
            models.UniqueConstraint(
                fields=["organization", "system_key"], condition=~Q(system_key=""), name="system_queue_once_per_org"
            ),
        )

    def __str__(self):
        return self.name

    @property
    def is_system(self) -> bool:
        return bool(self.system_key)


class QueueMember(TenantModel):
    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["queue", "user"], name="queue_member_once"),
        )


class Surrogate(PublicIdMixin, TenantModel):
    number = models.PositiveIntegerField(editable=False)
    full_name = models.CharField(max_length=200)
    email = EncryptedTextField(blank=True, default="")
    email_hash = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    phone = EncryptedTextField(blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", editable=False, db_index=True)
    date_of_birth = EncryptedDateField(blank=True, null=True)
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    stage_changed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    priority = models.CharField(max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    state = models.CharField(max_length=2, blank=True, default="", help_text="US state of residence (code).")
    # None until screening decides; set from an application form's eligibility answer or by staff.
    is_eligible = models.BooleanField(null=True, blank=True)
    owner = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Owned by a person or by a queue, never both (claim / release / assign in services.queues).
    owner_queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="surrogates")
    archived_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "number"], name="surrogate_number_once_per_org"),
            models.UniqueConstraint(
                fields=["organization", "email_hash"],
                condition=Q(archived_at__isnull=True) & ~Q(email_hash=""),
                name="one_active_surrogate_per_email",
            ),
            models.CheckConstraint(
                condition=Q(owner__isnull=True) | Q(owner_queue__isnull=True), name="surrogate_one_kind_of_owner"
            ),
        )
        indexes = [
            models.Index(fields=["organization", "stage", "-created_at"], name="surrogate_org_stage_created"),
            models.Index(fields=["organization", "owner", "-created_at"], name="surrogate_org_owner_created"),
            models.Index(fields=["organization", "-created_at", "-id"], name="surrogate_org_created"),
            # The dashboard's funnel counts active records per stage: an index-only scan.
            models.Index(fields=["organization", "stage", "id"], condition=Q(archived_at__isnull=True),
                         name="surrogate_active_org_stage"),
        ]

    def __str__(self):
        return f"{self.surrogate_number} {self.full_name}"

    @property
    def surrogate_number(self) -> str:
        return self.number_label(self.number)

    @staticmethod
    def number_label(number: int) -> str:
        return f"S{number}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class StatusChange(TenantModel):
    """One row of stage history: when it took effect, when it was recorded, who asked, who approved."""

    class Kind(models.TextChoices):
        CHANGE = "change", "Change"
        UNDO = "undo", "Undo"
        APPROVED_REGRESSION = "approved_regression", "Approved regression"
        CREATED = "created", "Created"

    surrogate = models.ForeignKey(Surrogate, on_delete=models.CASCADE, related_name="status_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=24, choices=Kind.choices, default=Kind.CHANGE)
    effective_at = models.DateTimeField()
    recorded_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = TenantModel.tenant_constraints()


class StatusChangeRequest(DecisionRequest):
    """A regression waits here for an admin's decision."""

    surrogate = models.ForeignKey(Surrogate, on_delete=models.CASCADE, related_name="status_requests")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    effective_at = models.DateTimeField()

    class Meta(DecisionRequest.Meta):
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(
                fields=["surrogate", "to_stage"],
                condition=Q(state="pending"),
                name="one_pending_request_per_target",
            ),
        )


class Note(PublicIdMixin, TenantModel):
    surrogate = models.ForeignKey(Surrogate, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    body_html = models.TextField()  # sanitised with nh3 by the service before it is stored
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints()


class Task(PublicIdMixin, TenantModel):
    surrogate = models.ForeignKey(Surrogate, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    due_date = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["completed_at", "due_date", "id"]
        constraints = TenantModel.tenant_constraints()
        # Open tasks by due date (the dashboard's "due soon / overdue"), read in order, stopping early.
        indexes = [
            models.Index(fields=["organization", "due_date", "id"], condition=Q(completed_at__isnull=True),
                         name="task_org_open_due"),
        ]


class ImportJob(PublicIdMixin, TenantModel):
    """One CSV upload: the file (encrypted, it holds PII), its mapping, progress and per-row outcome."""

    class State(models.TextChoices):
        PREVIEW = "preview", "Previewed"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file_name = models.CharField(max_length=200)
    content = EncryptedTextField()
    mapping = models.JSONField(default=dict, blank=True)  # CSV header -> field name
    state = models.CharField(max_length=10, choices=State.choices, default=State.PREVIEW)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    # [{"row": 3, "outcome": "skipped", "reason": "..."}]: row numbers and reasons, never values.
    results = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints()
