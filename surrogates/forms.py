"""Forms for the coordinator's pages. They validate input shape only; rules live in services.

Querysets that touch tenant rows are built in __init__ from the membership, never at class
level (the scoped manager raises with no organization in scope, e.g. at import time).
"""
from django import forms

from surrogates import list_selectors, selectors
from surrogates.models import Priority, Source
from surrogates.services import stages_settable_by


class DateInput(forms.DateInput):
    input_type = "date"


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.display_name


class SurrogateFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    stage = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False)
    source = forms.ChoiceField(required=False, choices=[("", "Any source"), *Source.choices])
    priority = forms.ChoiceField(required=False, choices=[("", "Any priority"), *Priority.choices])
    archived = forms.ChoiceField(
        required=False,
        choices=[
            (list_selectors.ARCHIVED_ACTIVE, "Active"),
            (list_selectors.ARCHIVED_ONLY, "Archived"),
            (list_selectors.ARCHIVED_ALL, "All"),
        ],
    )
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("-created", "Newest first"),
            ("created", "Oldest first"),
            ("number", "Number"),
            ("-number", "Number (descending)"),
            ("name", "Name A–Z"),
            ("-name", "Name Z–A"),
            ("-stage_changed", "Stage changed (recent first)"),
            ("stage_changed", "Stage changed (oldest first)"),
        ],
    )
    per_page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, membership, stages, owners, queues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._stages = {stage.key: stage for stage in stages}
        self.fields["stage"].choices = [("", "Any stage")] + [(stage.key, stage.label) for stage in stages]
        self.fields["owner"].choices = [("", "Anyone"), ("me", "Me"), ("none", "No person (in a queue)")] + [
            (str(user.pk), user.display_name) for user in owners
        ] + [(f"q{queue.public_id}", f"Queue: {queue.name}") for queue in queues]

    def filters(self) -> list_selectors.SurrogateFilters:
        """The valid filters; an invalid field is dropped (and shown as an error), never a 500."""
        self.is_valid()  # cleaned_data then holds only the fields that validated
        data = getattr(self, "cleaned_data", {})
        return list_selectors.SurrogateFilters(
            stage=self._stages.get(data.get("stage") or ""),
            owner=data.get("owner") or "",
            source=data.get("source") or "",
            priority=data.get("priority") or "",
            archived=data.get("archived") or list_selectors.ARCHIVED_ACTIVE,
            q=(data.get("q") or "").strip(),
            sort=data.get("sort") or list_selectors.DEFAULT_SORT,
        )

    def page_size(self) -> int:
        self.is_valid()
        value = getattr(self, "cleaned_data", {}).get("per_page")
        return min(value or list_selectors.DEFAULT_PAGE_SIZE, list_selectors.MAX_PAGE_SIZE)


class SurrogateForm(forms.Form):
    full_name = forms.CharField(max_length=200)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=40)
    date_of_birth = forms.DateField(required=False, widget=DateInput)
    source = forms.ChoiceField(choices=Source.choices, initial=Source.MANUAL)
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    state = forms.CharField(required=False, max_length=2, label="State (two-letter code)")
    is_eligible = forms.NullBooleanField(
        required=False,
        label="Eligible",
        widget=forms.Select(choices=[("unknown", "Not decided"), ("true", "Eligible"), ("false", "Not eligible")]),
    )
    owner = OwnerChoiceField(queryset=None, required=False, empty_label="Unassigned")

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.organization_members(membership)

    @classmethod
    def initial_for(cls, surrogate) -> dict:
        return {
            "full_name": surrogate.full_name,
            "email": surrogate.email,
            "phone": surrogate.phone,
            "date_of_birth": surrogate.date_of_birth,
            "source": surrogate.source,
            "priority": surrogate.priority,
            "state": surrogate.state,
            "is_eligible": surrogate.is_eligible,
            "owner": surrogate.owner_id,
        }


class StatusChangeForm(forms.Form):
    to_stage = forms.ModelChoiceField(queryset=None, label="New stage", empty_label="Choose a stage")
    effective_date = forms.DateField(
        required=False,
        widget=DateInput,
        label="Effective date",
        help_text="Leave empty for now. A past date takes effect at 12:00 in the agency's time zone.",
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when moving back to an earlier stage or backdating.",
    )

    def __init__(self, *args, membership, surrogate, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].queryset = (
            stages_settable_by(membership)
            .filter(organization_id=membership.organization_id)
            .exclude(pk=surrogate.stage_id)
            .order_by("order")
        )


class NoteForm(forms.Form):
    body = forms.CharField(
        max_length=20000, widget=forms.Textarea(attrs={"rows": 3}), label="Note", help_text="Basic HTML is allowed."
    )


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200, label="Task")
    due_date = forms.DateField(required=False, widget=DateInput, label="Due")


class TaskToggleForm(forms.Form):
    completed = forms.BooleanField(required=False)


class DecisionForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 1}))


class _TargetMixin:
    """A select of people ("u<id>") and queues ("q<public id>")."""

    def _target_choices(self, membership, owners=None, queues=None):
        """`owners`/`queues` already read by the caller (the list page) save two queries."""
        from surrogates.models import Queue

        if owners is None:
            owners = selectors.organization_members(membership)
        if queues is None:
            queues = Queue.objects.filter(organization_id=membership.organization_id)
        else:
            queues = sorted(queues, key=lambda queue: queue.name)  # Queue's Meta ordering
        self._users = {f"u{user.pk}": user for user in owners}
        self._queues = {f"q{queue.public_id}": queue for queue in queues}
        return [
            ("", "Choose…"),
            ("People", [(key, user.display_name) for key, user in self._users.items()]),
            ("Queues", [(key, queue.name) for key, queue in self._queues.items()]),
        ]

    def target(self):
        value = self.cleaned_data["target"]
        return self._users.get(value), self._queues.get(value)


class AssignForm(_TargetMixin, forms.Form):
    target = forms.ChoiceField(label="Assign to")

    def __init__(self, *args, membership, owners=None, queues=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = self._target_choices(membership, owners, queues)


class BulkAssignForm(AssignForm):
    ids = forms.TypedMultipleChoiceField(coerce=str)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(value, value) for value in self.data.getlist("ids")] if hasattr(self.data, "getlist") else []

    def clean_ids(self):
        import uuid

        ids = []
        for value in self.cleaned_data["ids"]:
            try:
                ids.append(uuid.UUID(value))
            except ValueError as exc:
                raise forms.ValidationError("Invalid selection.") from exc
        return ids


class ReleaseForm(forms.Form):
    queue = forms.ModelChoiceField(queryset=None, required=False, to_field_name="public_id", empty_label="Unassigned")

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        from surrogates.models import Queue

        self.fields["queue"].queryset = Queue.objects.filter(organization_id=membership.organization_id)
