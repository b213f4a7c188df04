"""Links rewritten in outgoing mail and the events the public endpoints record.

A click token names (message, link position); the destination is the URL stored here when the
message was built, so nothing in a request can choose where a redirect goes.
"""
from django.db import models
from django.utils import timezone

from tenants.models import TenantModel


class TrackedLink(TenantModel):
    email_log = models.ForeignKey("messaging.EmailLog", on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.TextField()  # http(s) only, checked when stored and again before redirecting
    click_count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = TenantModel.tenant_constraints(
            models.UniqueConstraint(fields=["email_log", "position"], name="tracked_link_position_once"),
        )


class TrackingEvent(TenantModel):
    class Kind(models.TextChoices):
        OPEN = "open", "Open"
        CLICK = "click", "Click"
        UNSUBSCRIBE = "unsubscribe", "Unsubscribe"

    email_log = models.ForeignKey("messaging.EmailLog", on_delete=models.CASCADE, related_name="tracking_events")
    link = models.ForeignKey(TrackedLink, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    is_machine = models.BooleanField(default=False)  # image proxies, prefetchers, scanners, HEAD
    ip_masked = models.CharField(max_length=64, blank=True)  # IPv4 /24, IPv6 /48: never the full address
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The open pixel's queued hits (tracking.open_buffer) carry a random id: written once, whatever
    # the flushers do. NULL for events recorded directly.
    hit_id = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = TenantModel.tenant_constraints()

