"""/admin/ for platform operators (superusers) and org admins (their own organization only)."""
from django.contrib import admin

from tenants import permissions


def is_org_admin(request) -> bool:
    return permissions.has_perm(getattr(request, "membership", None), permissions.MANAGE_ORGANIZATION)


class CradleAdminSite(admin.AdminSite):
    site_header = "Cradle administration"
    site_title = "Cradle admin"
    index_title = "Organization settings"

    def has_permission(self, request):
        user = request.user
        return user.is_active and (user.is_superuser or is_org_admin(request))


admin_site = CradleAdminSite(name="admin")
