import uuid
import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from tenants.managers import TenantManager
from tenants.scope import ScopeError, current_org


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone.")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_superuser=True, is_staff=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Login is by email. Platform operators are superusers; everyone else acts through a Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Platform operator access to /admin/.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self):
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.name_to_show(self.full_name, self.email)

    @staticmethod
    def name_to_show(full_name: str, email: str) -> str:
        """display_name from the two columns, for rows read as values (the surrogate list)."""
        return full_name or email.split("@")[0]


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    # Issued with a conditional UPDATE so numbers are unique and never reused (see surrogates.services).
    next_surrogate_number = models.PositiveIntegerField(default=10001, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.name

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)


class TenantModel(models.Model):
    """Every tenant-owned row: an organization that never changes, behind the scoped manager.

    The (organization, id) unique constraint lets PostgreSQL enforce, with composite foreign
    keys added after migrate (tenants.db_constraints), that a row only references rows of its
    own organization.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, editable=False, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True
        constraints = [
            models.UniqueConstraint(fields=["organization", "id"], name="%(app_label)s_%(class)s_org_id_key"),
        ]

    def _refuse_other_org(self):
        # Instance saves and deletes go through the unscoped base manager; refuse an instance of
        # another organization than the one in scope (ops code under unscoped() is not checked).
        org = current_org()
        if org is not None and self.organization_id is not None and self.organization_id != org.pk:
            raise ScopeError("This row belongs to another organization than the one in scope.")

    def save(self, *args, **kwargs):
        self._refuse_other_org()
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._refuse_other_org()
        return super().delete(*args, **kwargs)

    @classmethod
    def tenant_constraints(cls, *extra):
        """Subclasses that declare their own constraints keep the base one through this."""
        return [*TenantModel.Meta.constraints, *extra]


class PublicIdMixin(models.Model):
    """An unguessable id for URLs; integer pks never appear in a URL."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        abstract = True


class DecisionRequest(PublicIdMixin, TenantModel):
    """Something that waits for an admin's decision (a stage regression, un-accepting a match...).

    Subclasses add what is being asked for and their own constraints (keeping the tenant ones
    through TenantModel.tenant_constraints).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"

    reason = models.TextField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at", "-id"]


class Role(models.TextChoices):
    INTAKE_SPECIALIST = "intake_specialist", "Intake specialist"
    CASE_MANAGER = "case_manager", "Case manager"
    ADMIN = "admin", "Admin"


class Membership(PublicIdMixin, TenantModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "user"], name="membership_one_per_org"),
        )

    def __str__(self):
        return f"{self.user} ({self.get_role_display()})"


class Invitation(PublicIdMixin, TenantModel):
    """An admin's invitation to join with a role. The link's token is kept only as a SHA-256 hash.

    Expiry and revocation are read from the timestamps; `state` moves pending -> accepted | revoked
    through conditional updates (tenants.invitations), and one pending invitation per address.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"

    email = models.EmailField()
    role = models.CharField(max_length=32, choices=Role.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # Resends: at most INVITATION_SENDS_PER_DAY sends in a rolling window that starts at its first send.
    send_window_started_at = models.DateTimeField(default=timezone.now)
    sends_in_window = models.PositiveSmallIntegerField(default=1)
    last_sent_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(state="pending"),
                name="invitation_one_pending_per_email",
            ),
        )

    def __str__(self):
        return f"Invitation ({self.get_role_display()}, {self.get_state_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.state == self.State.PENDING and not self.is_expired


class RolePermission(TenantModel):
    """An organization's override of a role's default for one permission."""

    role = models.CharField(max_length=32, choices=Role.choices)
    permission = models.CharField(max_length=64)
    allowed = models.BooleanField()

    class Meta:
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["organization", "role", "permission"], name="role_permission_once"),
        )


class MemberPermission(TenantModel):
    """A per-user grant or revoke; a revoke beats a grant, a grant beats the role default."""

    class Effect(models.TextChoices):
        GRANT = "grant", "Grant"
        REVOKE = "revoke", "Revoke"

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="permission_overrides")
    permission = models.CharField(max_length=64)
    effect = models.CharField(max_length=8, choices=Effect.choices)

    class Meta:
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["membership", "permission", "effect"], name="member_permission_once"),
        )


class ActivityEvent(TenantModel):
    """The one audit trail: every state change, who did it, and the new non-PII values."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "target_type", "target_id", "created_at"])]
        constraints = TenantModel.tenant_constraints()

    def __str__(self):
        return f"{self.action} on {self.target_type}"
