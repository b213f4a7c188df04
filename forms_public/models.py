"""Application forms: a form is edited as a draft, publishing freezes a FormVersion; links and
submissions point at the version the applicant saw. Upload (the stored files) lives in
forms_public.uploads and is imported here so Django registers it with this app."""
import json

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from forms_public.uploads.detect import DEFAULT_ALLOWED
from forms_public.uploads.models import Upload  # noqa: F401  (registers the model)
from tenants.fields import EncryptedTextField
from tenants.models import PublicIdMixin, TenantModel, User

MAX_FILE_MB_LIMIT = 25  # clamd is configured for streams well above this
MAX_FILE_COUNT_LIMIT = 20


class FieldType(models.TextChoices):
    TEXT = "text", "Short text"
    TEXTAREA = "textarea", "Long text"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    DATE = "date", "Date"
    NUMBER = "number", "Number"
    SELECT = "select", "Drop-down (pick one)"
    RADIO = "radio", "Buttons (pick one)"
    MULTISELECT = "multiselect", "Checkboxes (pick any)"
    CHECKBOX = "checkbox", "Single checkbox (yes/no)"
    FILE = "file", "File upload"
    ADDRESS = "address", "Postal address"


class SurrogateField(models.TextChoices):
    """Surrogate profile fields an answer may be copied into when staff approve a submission."""

    FULL_NAME = "full_name", "Surrogate: full name"
    EMAIL = "email", "Surrogate: email"
    PHONE = "phone", "Surrogate: phone"
    DATE_OF_BIRTH = "date_of_birth", "Surrogate: date of birth"
    STATE = "state", "Surrogate: state (two-letter code)"
    IS_ELIGIBLE = "is_eligible", "Surrogate: eligible (a yes/no checkbox)"


def default_allowed_types():
    return list(DEFAULT_ALLOWED)


class Form(PublicIdMixin, TenantModel):
    name = models.CharField(max_length=200)
    intro = models.TextField(blank=True, help_text="Shown at the top of the form (plain text).")
    max_file_size_mb = models.PositiveSmallIntegerField(
        "largest file (MB)", default=10, validators=[MinValueValidator(1), MaxValueValidator(MAX_FILE_MB_LIMIT)]
    )
    max_file_count = models.PositiveSmallIntegerField(
        "most files per submission",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_FILE_COUNT_LIMIT)],
    )
    allowed_file_types = models.JSONField(default=default_allowed_types)
    published_version = models.ForeignKey(
        "FormVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = TenantModel.tenant_constraints()

    def __str__(self):
        return self.name

    @property
    def status(self) -> str:
        return "published" if self.published_version_id else "draft"


class FormField(TenantModel):
    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="fields")
    page = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(20)])
    order = models.PositiveSmallIntegerField(default=0)
    key = models.SlugField(
        max_length=64, help_text="A short name for this question, letters, digits, - and _ (e.g. date_of_birth)."
    )
    label = models.CharField(max_length=200)
    field_type = models.CharField("type", max_length=16, choices=FieldType.choices, default=FieldType.TEXT)
    required = models.BooleanField(default=False)
    options = models.TextField(blank=True, help_text="For drop-downs, buttons and checkboxes: one choice per line.")
    help_text = models.CharField(max_length=300, blank=True)
    maps_to = models.CharField(
        "copy answer to", max_length=32, choices=SurrogateField.choices, blank=True,
        help_text="When a submission is approved, this answer is copied into the surrogate's record.",
    )

    class Meta:
        ordering = ["page", "order", "id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["form", "key"], name="form_field_key_once"),
        )

    def __str__(self):
        return self.label

    def option_list(self) -> list[str]:
        return [line.strip() for line in self.options.splitlines() if line.strip()]


class FormVersion(PublicIdMixin, TenantModel):
    """A frozen copy of a form at publication; submissions validate against this, not the draft."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    schema = models.JSONField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-number"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["form", "number"], name="form_version_number_once"),
        )

    def __str__(self):
        return f"{self.schema.get('name', 'Form')} v{self.number}"


class ApplicationLink(PublicIdMixin, TenantModel):
    """A secret, single-use link for one surrogate to fill in one form version.

    Only the SHA-256 of the token is stored; the token itself is shown once, when issued.
    """

    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="links")
    surrogate = models.ForeignKey("surrogates.Surrogate", on_delete=models.CASCADE, related_name="application_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints()

    @property
    def state(self) -> str:
        if self.used_at:
            return "used"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"


class Submission(PublicIdMixin, TenantModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    link = models.OneToOneField(ApplicationLink, on_delete=models.CASCADE, related_name="submission")
    form_version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="submissions")
    surrogate = models.ForeignKey("surrogates.Surrogate", on_delete=models.CASCADE, related_name="submissions")
    answers_json = EncryptedTextField()  # the applicant's answers (PII), JSON, encrypted at rest
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    submitted_at = models.DateTimeField(default=timezone.now)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = TenantModel.tenant_constraints()
        indexes = [models.Index(fields=["organization", "status", "submitted_at"], name="submission_queue")]

    @property
    def answers(self) -> dict:
        return json.loads(self.answers_json or "{}")
