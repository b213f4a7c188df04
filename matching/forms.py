"""Forms for the matching pages: input shape only, the rules live in matching.services."""
import zoneinfo

from django import forms

from matching import selectors
from matching.models import IP_STATUS_ORDER, IntendedParentStatus, MatchEvent

COMMON_ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Toronto", "America/Mexico_City", "Europe/London",
    "Europe/Paris", "Europe/Madrid", "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "UTC",
]


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class IntendedParentForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=40)
    state = forms.CharField(required=False, max_length=64, label="State / region")
    budget = forms.DecimalField(required=False, min_value=0, max_digits=12, decimal_places=2)
    internal_notes = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}), help_text="Staff only; stored encrypted."
    )

    @classmethod
    def initial_for(cls, parent) -> dict:
        return {field: getattr(parent, field) for field in cls.base_fields}


class ParentFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *IntendedParentStatus.choices])


class ParentStatusForm(forms.Form):
    to_status = forms.ChoiceField(choices=IntendedParentStatus.choices, label="New status")
    reason = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when moving back; an admin approves it.",
    )

    def __init__(self, *args, parent=None, **kwargs):
        super().__init__(*args, **kwargs)
        if parent is not None:
            self.fields["to_status"].choices = [
                (value, label) for value, label in IntendedParentStatus.choices if value != parent.status
            ]
            self.fields["to_status"].initial = next(
                (s for s in IP_STATUS_ORDER[IP_STATUS_ORDER.index(parent.status) + 1:]), None
            )


class SurrogateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.surrogate_number} {obj.full_name} ({obj.stage.label})"


class ParentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.ip_number} {obj.full_name}"


class ProposeForm(forms.Form):
    surrogate = SurrogateChoiceField(queryset=None, to_field_name="public_id", empty_label="Choose a surrogate")
    intended_parent = ParentChoiceField(queryset=None, to_field_name="public_id", empty_label="Choose intended parents")
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["surrogate"].queryset = selectors.proposable_surrogates(membership)
        self.fields["intended_parent"].queryset = selectors.proposable_parents(membership)


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1}))


class EventForm(forms.Form):
    kind = forms.ChoiceField(choices=MatchEvent.Kind.choices, label="Type")
    title = forms.CharField(required=False, max_length=200)
    date = forms.DateField(widget=DateInput)
    time = forms.TimeField(required=False, widget=TimeInput, help_text="Empty means 9:00.")
    time_zone = forms.ChoiceField(label="Time zone")
    details = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        zones = list(dict.fromkeys([organization.timezone, *COMMON_ZONES]))
        self.fields["time_zone"].choices = [(zone, zone.replace("_", " ")) for zone in zones]
        self.fields["time_zone"].initial = organization.timezone

    def clean_time_zone(self):
        value = self.cleaned_data["time_zone"]
        if value not in zoneinfo.available_timezones():
            raise forms.ValidationError("Choose a valid time zone.")
        return value


class MonthForm(forms.Form):
    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False)
