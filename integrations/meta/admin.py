"""Org admins' /admin/ pages for Meta: page mappings, the CAPI switch, leads (read-only).

Access tokens are write-only: the form has an empty password input that replaces the stored
token when filled and keeps it when left empty; no page ever shows a token. Lead answers are
never shown here (they are PII); admins see status, ids and the failure reason.
"""
from django import forms
from django.contrib import admin, messages

from integrations.meta import leads
from integrations.meta.models import ConversionEvent, MetaLead, MetaPage, MetaSettings
from tenants.admin_scoping import OrgScopedAdmin
from tenants.admin_site import admin_site
from tenants.scope import unscoped


def _token_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Write-only. Leave empty to keep the current token.",
    )


class MetaPageForm(forms.ModelForm):
    new_access_token = _token_field("Page access token")

    class Meta:
        model = MetaPage
        fields = ["page_id", "name", "is_active"]

    def clean_page_id(self):
        page_id = leads.meta_id(self.cleaned_data.get("page_id") or "")
        if not page_id:
            raise forms.ValidationError("Enter the numeric Facebook page id.")
        # A page feeds one organization. The scoped manager cannot see other organizations'
        # mappings, so this one check looks across them (the database constraint holds anyway).
        with unscoped():
            clash = MetaPage.objects.filter(page_id=page_id).exclude(pk=self.instance.pk).exists()
        if clash:
            raise forms.ValidationError("This page is already mapped to an organization.")
        return page_id

    def save(self, commit=True):
        if self.cleaned_data.get("new_access_token"):
            self.instance.access_token = self.cleaned_data["new_access_token"]
        return super().save(commit)


@admin.register(MetaPage, site=admin_site)
class MetaPageAdmin(OrgScopedAdmin):
    form = MetaPageForm
    list_display = ["name", "page_id", "is_active", "has_token", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "page_id"]
    fields = ["page_id", "name", "is_active", "new_access_token"]

    @admin.display(boolean=True, description="Token set")
    def has_token(self, obj):
        return bool(obj.access_token)


class MetaSettingsForm(forms.ModelForm):
    new_capi_access_token = _token_field("Conversions API access token")

    class Meta:
        model = MetaSettings
        fields = ["capi_enabled", "pixel_id"]

    def save(self, commit=True):
        if self.cleaned_data.get("new_capi_access_token"):
            self.instance.capi_access_token = self.cleaned_data["new_capi_access_token"]
        return super().save(commit)


@admin.register(MetaSettings, site=admin_site)
class MetaSettingsAdmin(OrgScopedAdmin):
    form = MetaSettingsForm
    list_display = ["__str__", "pixel_id", "updated_at"]
    fields = ["capi_enabled", "pixel_id", "new_capi_access_token"]


class ReadOnlyAdmin(OrgScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MetaLead, site=admin_site)
class MetaLeadAdmin(ReadOnlyAdmin):
    list_display = ["leadgen_id", "page", "status", "failure_reason", "attempts", "received_at", "surrogate"]
    list_select_related = ["page", "surrogate"]
    list_filter = ["status"]
    search_fields = ["leadgen_id"]
    fields = [
        "leadgen_id", "page", "status", "failure_reason", "attempts", "form_id", "ad_id", "adset_id",
        "campaign_id", "created_time", "received_at", "processed_at", "surrogate",
    ]
    readonly_fields = fields
    actions = ["retry_failed"]

    @admin.action(description="Retry the selected failed leads")
    def retry_failed(self, request, queryset):
        count = 0
        for lead in queryset.filter(status=MetaLead.Status.FAILED):
            leads.lead_retry(lead=lead)
            count += 1
        messages.info(request, f"{count} failed lead(s) queued again.")


@admin.register(ConversionEvent, site=admin_site)
class ConversionEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "event_name", "status", "attempts", "last_error", "event_time", "sent_at"]
    list_select_related = ["lead"]
    list_filter = ["status", "bucket"]
    search_fields = ["event_id"]
    fields = ["event_id", "event_name", "bucket", "status", "attempts", "last_error", "event_time", "sent_at"]
    readonly_fields = fields
