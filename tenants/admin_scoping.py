"""ModelAdmin base for tenant-owned models.

Org admins see and change only their organization: the scoped default manager already filters
querysets, foreign-key choices, autocomplete and list filters; on top of that `organization`
is never editable for them and is set from the request on save. Superusers (platform
operators, unscoped in /admin/) see every organization.
"""
from django.contrib import admin

from tenants.admin_site import is_org_admin
from tenants.audit import audit_record
from tenants.models import Membership, User


class OrgScopedAdmin(admin.ModelAdmin):
    def _allowed(self, request) -> bool:
        return request.user.is_active and (request.user.is_superuser or is_org_admin(request))

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request):
        # Rows are created inside an organization; operators use the management commands.
        return self._allowed(request) and request.organization is not None

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser and request.organization is None:
            return queryset
        # Belt and braces: the manager already scopes, the explicit filter documents it.
        return queryset.filter(organization=request.organization)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if request.user.is_superuser and request.organization is None:
            readonly.append("organization")
        return readonly

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser and request.organization is None:
            filters.append("organization")
        return filters

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is User and request.organization is not None:
            kwargs["queryset"] = User.objects.filter(
                pk__in=Membership.objects.filter(is_active=True).values("user_id")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        organization = request.organization
        if organization is None:
            return form_class

        class OrgBoundForm(form_class):
            # `organization` is not a form field, so ModelForm would skip every unique constraint
            # that includes it (and the database would answer with a 500). Bind the row to the
            # admin's organization before validation so those constraints are checked as errors.
            def _post_clean(self):
                if self.instance.organization_id is None:
                    self.instance.organization = organization
                super()._post_clean()

            def _get_validation_exclusions(self):
                exclude = super()._get_validation_exclusions()
                exclude.discard("organization")
                return exclude

        OrgBoundForm.__name__ = form_class.__name__
        return OrgBoundForm

    def save_model(self, request, obj, form, change):
        if not change and request.organization is not None:
            obj.organization = request.organization
        if change and request.organization is not None and obj.organization_id != request.organization.pk:
            raise PermissionError("Object belongs to another organization.")
        super().save_model(request, obj, form, change)
        # Field names only: values may be PII.
        audit_record(
            actor=request.user,
            action="admin.changed" if change else "admin.created",
            target=obj,
            data={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="admin.deleted", target=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(actor=request.user, action="admin.deleted", target=obj)
        super().delete_queryset(request, queryset)

    def lookup_allowed(self, lookup, value, request=None):
        # Nobody filters across organizations through the query string.
        if lookup.startswith("organization") and request is not None and request.organization is not None:
            return False
        return super().lookup_allowed(lookup, value, request)
