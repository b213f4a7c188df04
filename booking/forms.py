import datetime
import zoneinfo
from functools import lru_cache

import phonenumbers
from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from booking.models import AppointmentType, Weekday

PHONE_DEFAULT_REGION = "US"


@lru_cache(maxsize=1)
def known_timezones() -> frozenset[str]:
    """zoneinfo.available_timezones(), read once per process: it walks the tzdata tree (~4 ms a call)."""
    return frozenset(zoneinfo.available_timezones())


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(name for name in known_timezones() if "/" in name or name == "UTC"))


@lru_cache(maxsize=1)
def _timezone_options_markup() -> str:
    return "".join(format_html('<option value="{}">{}</option>', name, name) for name in timezone_names())


def timezone_options(selected) -> str:
    """The <option>s of a time-zone select with `selected` chosen: the same markup a template loop
    wrote, built once per process (the loop was ~600 options x 3 template nodes, ~2 ms a page)."""
    markup = _timezone_options_markup()
    if selected in timezone_names():
        option = format_html('<option value="{}">', selected)
        markup = markup.replace(option, option[:-1] + " selected>", 1)
    return mark_safe(markup)  # noqa: S308 - every name went through format_html


def parse_instant(value: str) -> datetime.datetime | None:
    """An ISO-8601 instant with an offset (or Z), as UTC; None if it is not one."""
    try:
        parsed = datetime.datetime.fromisoformat((value or "").strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(datetime.timezone.utc)


def utc_iso(instant: datetime.datetime) -> str:
    return instant.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class TimezoneField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value and value not in known_timezones():
            raise forms.ValidationError("Unknown time zone.")
        return value


class SlotField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=40, error_messages={"required": "Pick a time."}, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        instant = parse_instant(value)
        if instant is None:
            raise forms.ValidationError("Pick a time from the list.")
        return instant


class BookingForm(forms.Form):
    appointment_type = forms.UUIDField(error_messages={"required": "Pick an appointment type."})
    slot_start = SlotField(widget=forms.HiddenInput)
    visitor_timezone = TimezoneField()
    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(max_length=254)
    phone = forms.CharField(max_length=40, required=False, help_text="With the country code if outside the US.")
    notes = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Your name is required.")
        return name

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if not value:
            return ""
        try:
            number = phonenumbers.parse(value, PHONE_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            raise forms.ValidationError("Enter a valid phone number.") from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError("Enter a valid phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class RescheduleForm(forms.Form):
    slot_start = SlotField(widget=forms.HiddenInput)
    visitor_timezone = TimezoneField(required=False)


class LinkSettingsForm(forms.Form):
    timezone = forms.ChoiceField(choices=())
    is_active = forms.BooleanField(required=False, label="Accept bookings")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in timezone_names()]


class AppointmentTypeForm(forms.ModelForm):
    class Meta:
        model = AppointmentType
        fields = [
            "name",
            "duration_minutes",
            "buffer_before_minutes",
            "buffer_after_minutes",
            "meeting_mode",
            "reminder_hours",
            "is_active",
        ]


class RuleForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        if data.get("start_time") and data.get("end_time") and data["start_time"] >= data["end_time"]:
            raise forms.ValidationError("The end time must be after the start time.")
        return data


class OverrideForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(required=False, widget=forms.TimeInput(attrs={"type": "time"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start_time"), data.get("end_time")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both times for other hours, or neither to mark the day unavailable.")
        if start is not None and start >= end:
            raise forms.ValidationError("The end time must be after the start time.")
        return data


class StaffRescheduleForm(forms.Form):
    slot_start = forms.ChoiceField(label="New time", choices=())

    def __init__(self, *args, slots=(), tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot_start"].choices = [
            (utc_iso(slot.start), f"{slot.start.astimezone(tz):%a %-d %b %Y, %H:%M %Z}") for slot in slots
        ]

    def clean_slot_start(self):
        return parse_instant(self.cleaned_data["slot_start"])


class LinkSurrogateForm(forms.Form):
    surrogate = forms.ModelChoiceField(queryset=None, required=False, empty_label="(none)", to_field_name="public_id")
    intended_parent = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="(none)", to_field_name="public_id", label="Intended parent"
    )

    def __init__(self, *args, queryset=None, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["surrogate"].queryset = queryset
        self.fields["intended_parent"].queryset = parents
