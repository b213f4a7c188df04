from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from tenants.admin_scoping import OrgScopedAdmin
from tenants.admin_site import admin_site, is_org_admin
from tenants.audit import audit_record
from tenants.permissions import ALL_PERMISSIONS
from tenants.models import ActivityEvent, MemberPermission, Membership, Organization, RolePermission, User


@admin.register(User, site=admin_site)
class UserAdmin(BaseUserAdmin):
    """Accounts span organizations, so only platform operators manage them here."""

    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_superuser"]
    search_fields = ["email", "full_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    filter_horizontal = []
    list_filter = ["is_active", "is_superuser"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = (
        lambda self, request, obj=None: request.user.is_superuser
    )


@admin.register(Organization, site=admin_site)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone"]
    readonly_fields = ["slug", "created_at"]
    fields = ["name", "slug", "timezone", "created_at"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.organization is not None:
            return queryset.filter(pk=request.organization.pk)
        return queryset if request.user.is_superuser else queryset.none()

    def has_module_permission(self, request):
        return request.user.is_superuser or is_org_admin(request)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action="admin.changed", target=obj, data={"fields": sorted(form.changed_data)})

    def has_add_permission(self, request):
        return False  # manage.py create_org

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Membership, site=admin_site)
class MembershipAdmin(OrgScopedAdmin):
    list_display = ["user", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user"]
    fields = ["user", "role", "is_active"]
    search_fields = ["user__email"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return readonly + (["user"] if obj is not None else [])


class PermissionChoiceMixin:
    """A select of the real permission names: a typo cannot save an override that does nothing."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "permission":
            choices = sorted((name, f"{label} ({name})") for name, label in ALL_PERMISSIONS.items())
            return forms.ChoiceField(choices=choices, label="Permission")
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(RolePermission, site=admin_site)
class RolePermissionAdmin(PermissionChoiceMixin, OrgScopedAdmin):
    list_display = ["role", "permission", "allowed"]
    list_filter = ["role"]


@admin.register(MemberPermission, site=admin_site)
class MemberPermissionAdmin(PermissionChoiceMixin, OrgScopedAdmin):
    list_display = ["membership", "permission", "effect"]
    list_select_related = ["membership__user"]
    raw_id_fields = ["membership"]


@admin.register(ActivityEvent, site=admin_site)
class ActivityEventAdmin(OrgScopedAdmin):
    list_display = ["created_at", "action", "target_type", "actor"]
    list_filter = ["action", "target_type"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
