from django import forms

from forms_public.services import LINK_DAYS_DEFAULT, LINK_DAYS_MAX, LINK_DAYS_MIN


class LinkIssueForm(forms.Form):
    form = forms.ModelChoiceField(queryset=None, label="Form", empty_label=None)
    days = forms.IntegerField(
        label="Link valid for (days)", min_value=LINK_DAYS_MIN, max_value=LINK_DAYS_MAX, initial=LINK_DAYS_DEFAULT
    )

    def __init__(self, *args, forms_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].queryset = forms_queryset


class ReviewForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class AttachmentForm(forms.Form):
    file = forms.FileField(label="Attach a file")
