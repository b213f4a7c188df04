"""Access helpers for staff views: a signed-in, active member of the organization in scope."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from tenants.permissions import has_perm


def member_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.membership is None:
            raise PermissionDenied("You are not an active member of any organization.")
        return view(request, *args, **kwargs)

    return wrapper


def require_perm(request, permission: str) -> None:
    if not has_perm(request.membership, permission):
        raise PermissionDenied("Your role does not allow this.")
