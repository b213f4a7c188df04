"""Public booking: a staff member's appointment types, weekly hours, date overrides, booking
link, and the appointments visitors request through it.

All instants are stored in UTC. Availability is wall-clock time in the link's time zone.
No double booking is guaranteed by PostgreSQL: an exclusion constraint (added in migration
0002, btree_gist) refuses two active appointments of one staff member whose blocked ranges
(start - buffer before, end + buffer after) overlap.
"""
import datetime
import zoneinfo

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone as dj_timezone

from tenants.fields import EncryptedTextField
from tenants.models import Membership, PublicIdMixin, TenantModel, validate_timezone

PENDING_TTL = datetime.timedelta(minutes=60)
TOKEN_TTL_AFTER_END = datetime.timedelta(days=7)


class MeetingMode(models.TextChoices):
    ZOOM = "zoom", "Zoom"
    PHONE = "phone", "Phone"
    IN_PERSON = "in_person", "In person"


class BookingLink(PublicIdMixin, TenantModel):
    """One per staff member: the random public slug and the time zone their hours are in."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="booking_link")
    slug = models.CharField(max_length=64, unique=True)
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    slug_rotated_at = models.DateTimeField(default=dj_timezone.now)
    # Bumped in the same transaction as every write that changes what the public page or slots of
    # this staff member show (booking.cache.data_changed, an UPDATE): cached renderings are keyed
    # by it. Nothing else writes it (see save()).
    data_version = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        constraints = TenantModel.tenant_constraints()

    def __str__(self):
        return f"Booking link of {self.membership_id}"

    def save(self, *args, update_fields=None, **kwargs):
        if not self._state.adding and update_fields is None:
            # A full save of an instance loaded before a booking must not write its older version
            # back: pages and slots cached under that version would be served again.
            update_fields = [
                field.attname for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "data_version"
            ]
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def tzinfo(self):
        return zoneinfo.ZoneInfo(self.timezone)


class AppointmentType(PublicIdMixin, TenantModel):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="appointment_types")
    name = models.CharField(max_length=120)
    duration_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(5), MaxValueValidator(8 * 60)]
    )
    buffer_before_minutes = models.PositiveIntegerField(default=0, validators=[MaxValueValidator(240)])
    buffer_after_minutes = models.PositiveIntegerField(default=5, validators=[MaxValueValidator(240)])
    meeting_mode = models.CharField(max_length=16, choices=MeetingMode.choices, default=MeetingMode.ZOOM)
    reminder_hours = models.PositiveIntegerField(default=24, validators=[MaxValueValidator(24 * 14)])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = TenantModel.tenant_constraints()

    def __str__(self):
        return self.name

    @property
    def duration(self):
        return datetime.timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self):
        return datetime.timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self):
        return datetime.timedelta(minutes=self.buffer_after_minutes)


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class AvailabilityRule(PublicIdMixin, TenantModel):
    """Weekly hours: on `weekday`, from `start_time` to `end_time`, wall clock in the link's zone."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="availability_rules")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = TenantModel.tenant_constraints(
            models.CheckConstraint(condition=models.Q(start_time__lt=models.F("end_time")), name="booking_rule_start_before_end"),
        )


class DateOverride(PublicIdMixin, TenantModel):
    """One date's hours instead of the weekly ones: unavailable (no times), or other hours.

    Several rows for one date are several windows; any unavailable row closes the whole day.
    """

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="date_overrides")
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "start_time"]
        constraints = TenantModel.tenant_constraints(
            models.CheckConstraint(
                condition=models.Q(start_time__isnull=True, end_time__isnull=True)
                | models.Q(start_time__lt=models.F("end_time")),
                name="booking_override_unavailable_or_hours",
            ),
        )

    @property
    def is_unavailable(self) -> bool:
        return self.start_time is None


class AppointmentStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    CONFIRMED = "confirmed", "Confirmed"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired (not approved in time)"


ACTIVE_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)


class Appointment(PublicIdMixin, TenantModel):
    membership = models.ForeignKey(Membership, on_delete=models.RESTRICT, related_name="appointments")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.RESTRICT, related_name="appointments")
    status = models.CharField(max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.PENDING)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    # start - buffer before / end + buffer after, fixed when booked: what the constraint compares.
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True, help_text="A pending request lapses at this time.")
    meeting_mode = models.CharField(max_length=16, choices=MeetingMode.choices)

    visitor_name = EncryptedTextField()
    visitor_email = EncryptedTextField()
    visitor_email_hash = models.CharField(max_length=64, db_index=True)
    visitor_phone = EncryptedTextField(blank=True)
    visitor_notes = EncryptedTextField(blank=True)
    visitor_timezone = models.CharField(max_length=64, validators=[validate_timezone])

    idempotency_key = models.UUIDField()
    manage_token_hash = models.CharField(max_length=64, unique=True)
    manage_token_expires_at = models.DateTimeField()

    surrogate = models.ForeignKey(
        "surrogates.Surrogate", null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    intended_parent = models.ForeignKey(
        "matching.IntendedParent", null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    remind_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: bumped on every change.")
    created_at = models.DateTimeField(default=dj_timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start_at", "id"]
        indexes = [
            models.Index(fields=["membership", "status", "blocked_start"], name="booking_appt_staff_status"),
            models.Index(fields=["status", "remind_at"], name="booking_appt_remind"),
            models.Index(fields=["status", "expires_at"], name="booking_appt_expiry"),
        ]
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["membership", "idempotency_key"], name="booking_appt_idempotency_once"),
            models.CheckConstraint(condition=models.Q(start_at__lt=models.F("end_at")), name="booking_appt_start_before_end"),
            models.CheckConstraint(
                condition=models.Q(blocked_start__lte=models.F("start_at"), blocked_end__gte=models.F("end_at")),
                name="booking_appt_blocked_covers",
            ),
        )

    def __str__(self):
        return f"Appointment {self.public_id}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def is_past(self, now=None) -> bool:
        return self.end_at <= (now or dj_timezone.now())
