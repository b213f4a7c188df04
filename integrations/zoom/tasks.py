"""Zoom task: a thin call into services, ids only, inside the org scope (OrgScopedTask).

Safe to run any number of times for one meeting (acks_late redelivery, retries, a duplicate
enqueue): the ZoomMeeting claim decides who calls Zoom, and a meeting whose earlier attempt may
have been created is looked up by its tracking field before it is created again.
"""
from celery import shared_task

from integrations import leases
from integrations.zoom import services
from tenants.scope import unscoped
from tenants.tasks import OrgScopedTask

# Zoom calls are bounded by services.MAX_ATTEMPTS; the extra room is for waiting out another
# worker's lease or a failed reconcile.
MAX_TASK_RETRIES = 8


@shared_task(base=OrgScopedTask, bind=True, name="zoom.create_meeting", max_retries=MAX_TASK_RETRIES)
def create_zoom_meeting(self, *, organization_id: int, zoom_meeting_id: int) -> str:
    return leases.run_task(
        self, lambda: services.zoom_meeting_deliver(zoom_meeting_id=zoom_meeting_id), max_retries=MAX_TASK_RETRIES
    )


@shared_task(name="zoom.resume_stalled")
def resume_stalled() -> int:
    """Beat: enqueue again the requests no task is working on (see services.stalled_meetings)."""
    with unscoped():
        stalled = services.stalled_meetings()
    for organization_id, meeting_id in stalled:
        create_zoom_meeting.delay(organization_id=organization_id, zoom_meeting_id=meeting_id)
    return len(stalled)
