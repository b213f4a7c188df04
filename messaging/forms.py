"""Forms for the email pages: input shape only; rules live in messaging.services."""
import uuid

from django import forms

from messaging.rendering import VARIABLES
from surrogates.models import Priority, Source
from surrogates.services.records import US_STATES

VARIABLE_HELP = "Variables: " + ", ".join("{{ %s }}" % name for name in VARIABLES) + ". Unknown ones render empty."


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    subject = forms.CharField(max_length=200, help_text=VARIABLE_HELP)
    body_html = forms.CharField(
        label="Body (HTML)", max_length=50_000, widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Allowed: paragraphs, lists, links, bold/italic, headings, simple tables, images. Anything else is removed.",
    )


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class ComposeForm(forms.Form):
    template = TemplateChoiceField(queryset=None, required=False, empty_label="(write a message)")
    subject = forms.CharField(max_length=200, required=False, help_text=VARIABLE_HELP)
    body_html = forms.CharField(label="Body (HTML)", max_length=50_000, required=False, widget=forms.Textarea(attrs={"rows": 10}))
    idempotency_key = forms.CharField(max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, templates, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates

    def clean(self):
        data = super().clean()
        template = data.get("template")
        if template is not None:
            data["subject"] = data.get("subject") or template.subject
            data["body_html"] = data.get("body_html") or template.body_html
        if not data.get("subject") or not data.get("body_html"):
            raise forms.ValidationError("Choose a template or write a subject and a body.")
        return data


class DateInput(forms.DateInput):
    input_type = "date"


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=120)
    template = TemplateChoiceField(queryset=None)
    stages = forms.MultipleChoiceField(required=False, help_text="None selected: every stage.")
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *Source.choices])
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority"), *Priority.choices])
    state = forms.ChoiceField(required=False, choices=[("", "Any state"), *((code, code) for code in sorted(US_STATES))])
    created_from = forms.DateField(required=False, widget=DateInput)
    created_to = forms.DateField(required=False, widget=DateInput)
    scheduled_for = forms.DateTimeField(
        required=False, help_text="Leave empty to send when you press Send now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, templates, stages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates
        self.fields["stages"].choices = [(stage.key, stage.label) for stage in stages]

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "stages": list(data.get("stages") or []),
            "source": data.get("source") or "",
            "priority": data.get("priority") or "",
            "state": data.get("state") or "",
            "created_from": data["created_from"].isoformat() if data.get("created_from") else "",
            "created_to": data["created_to"].isoformat() if data.get("created_to") else "",
        }


class SuppressionForm(forms.Form):
    email = forms.EmailField()
