"""The form builder, in /admin/ for org admins: a form with its fields edited inline, then
"Publish" freezes a copy (FormVersion) that new links use. Published versions are read-only."""
from django import forms
from django.contrib import admin, messages

from forms_public import services
from forms_public.models import Form, FormField, FormVersion
from forms_public.uploads.detect import KINDS
from tenants.admin_scoping import OrgScopedAdmin
from tenants.admin_site import admin_site


class FormAdminForm(forms.ModelForm):
    allowed_file_types = forms.MultipleChoiceField(
        choices=[(key, kind.label) for key, kind in KINDS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Allowed file types",
        help_text="Checked from each file's content, not its name.",
    )

    class Meta:
        model = Form
        fields = ["name", "intro", "max_file_size_mb", "max_file_count", "allowed_file_types"]


class FormFieldInline(admin.TabularInline):
    model = FormField
    extra = 1
    fields = ["page", "order", "key", "label", "field_type", "required", "options", "help_text", "maps_to"]
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "options":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 24})
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Inline permissions follow the parent (an org admin editing their own form).
    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True


@admin.register(Form, site=admin_site)
class FormAdmin(OrgScopedAdmin):
    form = FormAdminForm
    inlines = [FormFieldInline]
    list_display = ["name", "status_display", "published_at", "updated_at"]
    list_select_related = ["published_version"]
    search_fields = ["name"]
    actions = ["publish_selected"]
    change_form_template = "admin/forms_public/form/change_form.html"

    @admin.display(description="Status")
    def status_display(self, obj):
        if obj.published_version_id:
            return f"Published (version {obj.published_version.number})"
        return "Draft"

    @admin.display(description="Published")
    def published_at(self, obj):
        return obj.published_version.published_at if obj.published_version_id else None

    def save_formset(self, request, form, formset, change):
        for row in formset.save(commit=False):
            row.organization_id = form.instance.organization_id
            row.save()
        for row in formset.deleted_objects:
            row.delete()
        formset.save_m2m()

    def _publish(self, request, obj) -> bool:
        try:
            version = services.form_publish(membership=request.membership, form=obj)
        except services.FormsError as exc:
            self.message_user(request, f"{obj.name} was not published: {exc}", messages.ERROR)
            return False
        self.message_user(request, f"Published {obj.name} as version {version.number}.", messages.SUCCESS)
        return True

    @admin.action(description="Publish selected forms (freeze their current fields)")
    def publish_selected(self, request, queryset):
        for obj in queryset:
            self._publish(request, obj)

    def response_change(self, request, obj):
        if "_publish" in request.POST:
            self._publish(request, obj)
            return super().response_change(_without_continue(request), obj)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if "_publish" in request.POST:
            self._publish(request, obj)
        return super().response_add(request, obj, post_url_continue)


def _without_continue(request):
    """After "Save and publish", stay on the form (like "Save and continue editing")."""
    post = request.POST.copy()
    post["_continue"] = "1"
    request.POST = post
    return request


@admin.register(FormVersion, site=admin_site)
class FormVersionAdmin(OrgScopedAdmin):
    list_display = ["__str__", "form", "number", "published_at", "published_by"]
    list_select_related = ["form", "published_by"]
    fields = ["form", "number", "published_at", "published_by", "schema"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
