"""Public pages' entry point into the organization scope.

A public URL carries a secret token or a random slug. `public_entry` resolves it with one
unscoped lookup (the only way to learn which organization it belongs to), answers every
unknown, expired or revoked token with the same 404, and runs the view, template rendering
included, inside the owning organization's scope.
"""
from functools import wraps

from django.http import Http404
from django.template.response import SimpleTemplateResponse

from tenants.scope import org_scope, unscoped


def public_entry(resolve):
    """`resolve(request, **url_kwargs)` returns the object the URL names, or None.

    The object must have `organization`; the view is called as view(request, obj, **url_kwargs).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            with unscoped():
                obj = resolve(request, **kwargs)
            if obj is None:
                raise Http404("Not found")
            organization = obj if obj._meta.model_name == "organization" else obj.organization
            with org_scope(organization):
                request.organization = organization
                response = view(request, obj, *args, **kwargs)
                if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
                    response.render()
                return response

        return wrapper

    return decorator
