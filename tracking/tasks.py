"""Periodic tracking work, driven by Celery beat (CELERY_BEAT_SCHEDULE in settings)."""
from celery import shared_task

from tracking import open_buffer


@shared_task(name="tracking.flush_opens")
def flush_opens() -> int:
    # Cross-organization by nature (one stream for every agency's mail): open_buffer resolves each
    # hit's organization from its message and writes it inside that organization's scope.
    return open_buffer.flush()
