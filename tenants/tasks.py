"""Celery's entry point into the organization scope: tasks take ids, the base enters the scope."""
from celery import Task

from tenants.models import Organization
from tenants.scope import org_scope


class OrgScopedTask(Task):
    """Tasks using this base take `organization_id` as a keyword and run inside that org's scope.

    Enqueue with transaction.on_commit(lambda: task.delay(organization_id=..., ...)).
    """

    def __call__(self, *args, **kwargs):
        organization_id = kwargs.get("organization_id")
        if organization_id is None:
            raise TypeError(f"{self.name} needs organization_id=")
        organization = Organization.objects.get(pk=organization_id)
        with org_scope(organization):
            return super().__call__(*args, **kwargs)
