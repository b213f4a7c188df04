"""The meeting form: input shape only (rules live in integrations.zoom.services).

The start is wall-clock time in the chosen zone, so the same form works for a coordinator in
New York scheduling a call for an applicant in Denver.
"""
import datetime
import uuid
import zoneinfo

from django import forms

from booking.forms import timezone_names
from integrations.zoom.models import MAX_DURATION_MINUTES


class WallClockField(forms.DateTimeField):
    """A date and time without a zone (the form's `timezone` field gives it one)."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None)
        for fmt in self.input_formats:
            try:
                return datetime.datetime.strptime(str(value).strip(), fmt)
            except ValueError:
                continue
        raise forms.ValidationError("Enter a date and time.", code="invalid")

    def prepare_value(self, value):
        if isinstance(value, datetime.datetime):
            return value.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M")
        return value


class ZoomMeetingForm(forms.Form):
    topic = forms.CharField(max_length=200)
    start = WallClockField(label="Starts at")
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=1, max_value=MAX_DURATION_MINUTES)
    timezone = forms.ChoiceField(label="Time zone", choices=())
    idempotency_key = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = [(name, name) for name in timezone_names()]

    def clean(self):
        data = super().clean()
        start, zone = data.get("start"), data.get("timezone")
        if start is not None and zone:
            tz = zoneinfo.ZoneInfo(zone)
            aware = start.replace(tzinfo=tz)
            try:
                as_utc = aware.astimezone(datetime.timezone.utc)
                # The end (at most a day later) and its display in any zone must fit in a datetime too.
                as_utc + datetime.timedelta(days=2)
                as_utc - datetime.timedelta(days=2)
            except OverflowError:
                self.add_error("start", "That date is out of range.")
                return data
            # A wall-clock time skipped by a DST change does not exist in that zone.
            if as_utc.astimezone(tz).replace(tzinfo=None) != start:
                self.add_error("start", "That time does not exist in this time zone (clocks change).")
            else:
                data["start_at"] = aware
        return data
