"""Enter the organization scope for a signed-in request, and refuse a removed member at once."""
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect

from tenants.permissions import active_memberships
from tenants.scope import org_scope, unscoped

ACTIVE_ORG_SESSION_KEY = "active_org_id"


class TenantScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)

        memberships = active_memberships(user)
        wanted = request.session.get(ACTIVE_ORG_SESSION_KEY)
        membership = next((m for m in memberships if m.organization_id == wanted), None)
        if wanted is not None and membership is None:
            # The membership this session worked in was deactivated (or deleted): out at once.
            request.session.pop(ACTIVE_ORG_SESSION_KEY, None)
            if not memberships and not user.is_superuser:
                logout(request)
                messages.error(request, "Your access to that organization has been removed.")
                return redirect("login")
        if membership is None and memberships:
            membership = memberships[0]
            request.session[ACTIVE_ORG_SESSION_KEY] = membership.organization_id
        request.memberships = memberships

        if membership is None:
            if user.is_superuser and request.path.startswith("/admin/"):
                # Platform operators work across organizations in the admin only.
                with unscoped():
                    return self.get_response(request)
            return self.get_response(request)

        request.organization = membership.organization
        request.membership = membership
        with org_scope(membership.organization):
            return self.get_response(request)
