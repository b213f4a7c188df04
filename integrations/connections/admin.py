"""Org admins see who has connected what (and who must reconnect), never a token or the
connected address: those fields are left out of every admin form and list. View-only: members
connect and disconnect on their own settings page."""
from django.contrib import admin

from integrations.connections.models import OAuthConnection
from tenants.admin_scoping import OrgScopedAdmin
from tenants.admin_site import admin_site

SECRET_FIELDS = ("access_token", "refresh_token", "account_email")


@admin.register(OAuthConnection, site=admin_site)
class OAuthConnectionAdmin(OrgScopedAdmin):
    list_display = ["membership", "provider", "status", "expires_at", "connected_at"]
    list_select_related = ["membership__user"]
    list_filter = ["provider", "status"]
    fields = ["membership", "provider", "status", "last_error", "scopes", "expires_at", "connected_at", "refreshed_at", "updated_at"]
    readonly_fields = fields
    exclude = SECRET_FIELDS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # deleting here would skip the revoke at the provider
