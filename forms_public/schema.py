"""The frozen form schema (what publishing stores) and the Django form built from it.

Schema: {"name", "intro", "limits": {"max_file_size_mb", "max_file_count", "allowed_types"},
         "pages": [{"number", "fields": [{"key", "label", "type", "required", "options",
                                           "help_text", "maps_to"}]}]}
"""
import datetime
import decimal
import re

from django import forms
from django.core.exceptions import ValidationError

from forms_public.models import FieldType, SurrogateField
from forms_public.uploads.detect import KINDS, UploadRejected, check_upload
from forms_public.uploads.images import strip_metadata

CHOICE_TYPES = {FieldType.SELECT, FieldType.RADIO, FieldType.MULTISELECT}
# Which field types may feed which surrogate field.
MAPPABLE = {
    SurrogateField.FULL_NAME: {FieldType.TEXT},
    SurrogateField.EMAIL: {FieldType.EMAIL},
    SurrogateField.PHONE: {FieldType.PHONE},
    SurrogateField.DATE_OF_BIRTH: {FieldType.DATE},
    SurrogateField.STATE: {FieldType.TEXT, FieldType.SELECT, FieldType.RADIO},
    SurrogateField.IS_ELIGIBLE: {FieldType.CHECKBOX},
}
PHONE_RE = re.compile(r"^\+?[\d\s().\-]{7,25}$")
BODY_OVERHEAD_BYTES = 1024 * 1024  # the non-file part of a submission


class SchemaError(Exception):
    pass


def build_schema(form, fields) -> dict:
    """The frozen copy of a form and its fields; SchemaError lists everything wrong at once."""
    problems, pages, keys, mapped = [], {}, set(), set()
    if not fields:
        problems.append("The form has no fields.")
    for field in fields:
        if field.key in keys:
            problems.append(f"Two fields use the key {field.key!r}.")
        keys.add(field.key)
        options = field.option_list()
        if field.field_type in CHOICE_TYPES and not options:
            problems.append(f"{field.label!r} needs at least one option (one per line).")
        if len(set(options)) != len(options):
            problems.append(f"{field.label!r} lists the same option twice.")
        if field.maps_to:
            if field.field_type not in MAPPABLE[field.maps_to]:
                label = SurrogateField(field.maps_to).label
                problems.append(f"{field.label!r} ({field.get_field_type_display()}) cannot be copied to {label}.")
            if field.maps_to in mapped:
                problems.append(f"Two fields are copied to {SurrogateField(field.maps_to).label}.")
            mapped.add(field.maps_to)
        pages.setdefault(field.page, []).append(
            {
                "key": field.key,
                "label": field.label,
                "type": field.field_type,
                "required": field.required,
                "options": options if field.field_type in CHOICE_TYPES else [],
                "help_text": field.help_text,
                "maps_to": field.maps_to,
            }
        )
    allowed = [key for key in form.allowed_file_types or [] if key in KINDS]
    if any(f.field_type == FieldType.FILE for f in fields) and not allowed:
        problems.append("The form has a file field but allows no file types.")
    if problems:
        raise SchemaError(problems)
    return {
        "name": form.name,
        "intro": form.intro,
        "limits": {
            "max_file_size_mb": form.max_file_size_mb,
            "max_file_count": form.max_file_count,
            "allowed_types": allowed,
        },
        "pages": [{"number": number, "fields": pages[number]} for number in sorted(pages)],
    }


def schema_fields(schema: dict):
    for page in schema["pages"]:
        yield from page["fields"]


def max_body_bytes(schema: dict) -> int:
    limits = schema["limits"]
    return limits["max_file_count"] * limits["max_file_size_mb"] * 1024 * 1024 + BODY_OVERHEAD_BYTES


# --- The applicant's form ----------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError("Please attach a file.", code="required")
            return []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class AddressWidget(forms.MultiWidget):
    def __init__(self, attrs=None):
        super().__init__(
            [
                forms.TextInput(attrs={"autocomplete": "address-line1", "placeholder": "Street address", "aria-label": "Street address"}),
                forms.TextInput(attrs={"autocomplete": "address-level2", "placeholder": "City", "aria-label": "City"}),
                forms.TextInput(attrs={"autocomplete": "address-level1", "placeholder": "State", "aria-label": "State"}),
                forms.TextInput(attrs={"autocomplete": "postal-code", "placeholder": "ZIP code", "aria-label": "ZIP code"}),
            ],
            attrs,
        )

    def decompress(self, value):
        value = value or {}
        return [value.get("street", ""), value.get("city", ""), value.get("state", ""), value.get("postal_code", "")]


class AddressField(forms.MultiValueField):
    widget = AddressWidget
    PARTS = ("street", "city", "state", "postal_code")

    def __init__(self, **kwargs):
        super().__init__(
            fields=[forms.CharField(max_length=200), forms.CharField(max_length=100),
                    forms.CharField(max_length=60), forms.CharField(max_length=20)],
            require_all_fields=kwargs.get("required", True),
            **kwargs,
        )

    def compress(self, data_list):
        if not data_list or not any(data_list):
            return {}
        return dict(zip(self.PARTS, (part.strip() for part in data_list)))


def _phone(value: str) -> str:
    value = (value or "").strip()
    if value and (not PHONE_RE.match(value) or not 7 <= sum(c.isdigit() for c in value) <= 15):
        raise ValidationError("Enter a phone number of 7 to 15 digits.")
    return value


def _django_field(spec: dict) -> forms.Field:
    kind, required = spec["type"], spec["required"]
    common = {"label": spec["label"], "required": required, "help_text": spec.get("help_text", "")}
    choices = [(option, option) for option in spec.get("options", [])]
    if kind == FieldType.TEXT:
        return forms.CharField(max_length=500, **common)
    if kind == FieldType.TEXTAREA:
        return forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    if kind == FieldType.EMAIL:
        return forms.EmailField(max_length=254, **common)
    if kind == FieldType.PHONE:
        return forms.CharField(max_length=25, validators=[_phone], widget=forms.TextInput(attrs={"type": "tel"}), **common)
    if kind == FieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **common)
    if kind == FieldType.NUMBER:
        return forms.DecimalField(max_digits=12, decimal_places=2, **common)
    if kind == FieldType.SELECT:
        return forms.ChoiceField(choices=[("", "Choose…"), *choices], **common)
    if kind == FieldType.RADIO:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    if kind == FieldType.MULTISELECT:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if kind == FieldType.CHECKBOX:
        return forms.BooleanField(**common)
    if kind == FieldType.FILE:
        return MultipleFileField(**common)
    if kind == FieldType.ADDRESS:
        return AddressField(**common)
    raise SchemaError([f"Unknown field type {kind!r}"])


def _json_value(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


class ApplicationForm(forms.Form):
    """Every field of a frozen schema, validated on the server (the browser's checks are a courtesy)."""

    def __init__(self, *args, schema: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema
        limits = schema["limits"]
        for spec in schema_fields(schema):
            self.fields[spec["key"]] = _django_field(spec)
            if spec["type"] == FieldType.FILE:
                self.fields[spec["key"]].widget.attrs["accept"] = ",".join(
                    ext for key in limits["allowed_types"] for ext in KINDS[key].extensions
                )
        self.allowed_types = limits["allowed_types"]
        self.max_file_bytes = limits["max_file_size_mb"] * 1024 * 1024
        self.max_file_count = limits["max_file_count"]
        self.accepted_kinds = {}  # upload -> Kind, filled by clean()
        self.image_bytes = {}  # upload -> the image re-encoded without metadata

    @property
    def pages(self):
        return [
            {"number": page["number"], "fields": [self[spec["key"]] for spec in page["fields"]]}
            for page in self.schema["pages"]
        ]

    @property
    def accept_attr(self) -> str:
        return ",".join(ext for key in self.allowed_types for ext in KINDS[key].extensions)

    def clean(self):
        cleaned = super().clean()
        count = 0
        for spec in schema_fields(self.schema):
            if spec["type"] != FieldType.FILE:
                continue
            for upload in cleaned.get(spec["key"]) or []:
                count += 1
                try:
                    kind = check_upload(
                        upload,
                        name=upload.name,
                        declared_type=upload.content_type,
                        size=upload.size,
                        allowed=self.allowed_types,
                        max_bytes=self.max_file_bytes,
                    )
                    if kind.is_image:
                        self.image_bytes[upload] = strip_metadata(upload, kind=kind.key)
                except UploadRejected as exc:
                    self.add_error(spec["key"], f"{_display_name(upload.name)} {exc}")
                else:
                    self.accepted_kinds[upload] = kind
        if count > self.max_file_count:
            raise ValidationError(f"Attach at most {self.max_file_count} files in all.")
        return cleaned

    def answers(self) -> dict:
        """The answers to store (files are stored separately, as uploads)."""
        return {
            spec["key"]: _json_value(self.cleaned_data.get(spec["key"]))
            for spec in schema_fields(self.schema)
            if spec["type"] != FieldType.FILE
        }

    def files_by_key(self) -> dict:
        return {
            spec["key"]: list(self.cleaned_data.get(spec["key"]) or [])
            for spec in schema_fields(self.schema)
            if spec["type"] == FieldType.FILE
        }


def _display_name(name: str) -> str:
    name = (name or "file").replace("\\", "/").rsplit("/", 1)[-1]
    return f"“{name[:80]}”"


def mapped_changes(schema: dict, answers: dict) -> dict:
    """Surrogate field -> value from an approved submission's non-empty mapped answers."""
    changes = {}
    for spec in schema_fields(schema):
        target, value = spec.get("maps_to"), answers.get(spec["key"])
        if not target or value in (None, "", [], {}):
            continue
        if target == SurrogateField.DATE_OF_BIRTH:
            value = datetime.date.fromisoformat(value)
        elif target == SurrogateField.IS_ELIGIBLE:
            value = bool(value)
        changes[target] = value.strip() if isinstance(value, str) else value
    return changes
