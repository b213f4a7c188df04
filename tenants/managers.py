"""The tenant-aware default manager: every queryset is filtered by the organization in scope.

The filter is applied when the queryset is created, so it fails closed (ScopeError) right
there, and a queryset built inside a scope stays filtered wherever it is evaluated later.
"""
from django.db import models

from tenants.scope import require_org, scope_filter_value


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    # Related managers (surrogate.notes) subclass the default manager, so they are scoped too.
    use_in_migrations = False

    def get_queryset(self):
        org_id = scope_filter_value()
        queryset = super().get_queryset()
        if org_id is None:
            return queryset
        return queryset.filter(organization_id=org_id)

    def create(self, **kwargs):
        if "organization" not in kwargs and "organization_id" not in kwargs:
            kwargs["organization"] = require_org()
        return super().create(**kwargs)
