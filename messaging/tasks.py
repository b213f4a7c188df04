"""Email tasks: thin calls into messaging.services, ids only, inside the org scope (OrgScopedTask).

`send_email` is safe to run any number of times for one message (acks_late redelivery, retries,
a duplicate enqueue): the EmailLog claim decides who calls the provider, and a message whose
previous attempt may have landed is looked up in the mailbox before it is sent again.
"""
import logging

from celery import shared_task
from django.utils import timezone

from integrations import leases
from messaging import services
from messaging.models import Campaign
from tenants.scope import unscoped
from tenants.tasks import OrgScopedTask

logger = logging.getLogger(__name__)
# Task-level retries: provider calls are bounded by services.MAX_ATTEMPTS; the extra room is for
# waiting out another worker's lease or a failed reconcile.
MAX_TASK_RETRIES = 8


@shared_task(base=OrgScopedTask, bind=True, name="messaging.send_email", max_retries=MAX_TASK_RETRIES)
def send_email(self, *, organization_id: int, email_log_id: int) -> str:
    return leases.run_task(
        self, lambda: services.email_deliver(email_log_id=email_log_id), max_retries=MAX_TASK_RETRIES
    )


@shared_task(base=OrgScopedTask, name="messaging.launch_campaign")
def launch_campaign(*, organization_id: int, campaign_id: int) -> dict:
    return services.campaign_launch(campaign_id=campaign_id)


@shared_task(name="messaging.launch_due_campaigns")
def launch_due_campaigns() -> int:
    with unscoped():
        due = list(
            Campaign.objects.filter(state=Campaign.State.SCHEDULED, scheduled_for__lte=timezone.now()).values_list(
                "organization_id", "pk"
            )
        )
    for organization_id, campaign_id in due:
        launch_campaign.delay(organization_id=organization_id, campaign_id=campaign_id)
    return len(due)
