"""Reads for the email pages. Every lookup filters by the member's organization explicitly (the
scoped manager is the safety net) and answers 'missing' and 'not yours' with the same 404."""
import datetime

from django.db.models import Count, Q
from django.http import Http404

from messaging.models import Campaign, CampaignSkip, EmailLog, EmailTemplate, Suppression
from surrogates.models import Priority, Source, Surrogate
from surrogates.services.records import US_STATES
from tenants import permissions as perms
from tenants.models import Membership

FILTER_KEYS = ("stages", "source", "priority", "state", "created_from", "created_to")


def templates_for(membership: Membership):
    return EmailTemplate.objects.filter(organization_id=membership.organization_id).order_by("name")


def get_template_for_member(membership: Membership, public_id) -> EmailTemplate:
    template = templates_for(membership).filter(public_id=public_id).first()
    if template is None:
        raise Http404("No such template.")
    return template


def campaigns_for(membership: Membership):
    if not perms.has_perm(membership, perms.VIEW_ALL_SURROGATES):
        return Campaign.objects.none()
    return Campaign.objects.filter(organization_id=membership.organization_id).select_related("template")


def get_campaign_for_member(membership: Membership, public_id) -> Campaign:
    campaign = campaigns_for(membership).filter(public_id=public_id).first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def get_email_log_for_member(membership: Membership, public_id) -> EmailLog:
    """A message, visible if its surrogate is (or, for campaign mail, if the member sees campaigns)."""
    from surrogates.selectors import surrogates_visible_to

    log = (
        EmailLog.objects.filter(organization_id=membership.organization_id, public_id=public_id)
        .select_related("surrogate", "campaign", "sender__user")
        .first()
    )
    if log is None:
        raise Http404("No such email.")
    visible = log.surrogate_id and surrogates_visible_to(membership).filter(pk=log.surrogate_id).exists()
    if not visible and not (log.campaign_id and perms.has_perm(membership, perms.VIEW_ALL_SURROGATES)):
        raise Http404("No such email.")
    return log


def surrogate_emails(surrogate):
    return EmailLog.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "sender__user"
    )[:20]


def campaign_recipients(*, organization_id, filters: dict):
    """Active surrogates of this organization matching the campaign filters, oldest first."""
    queryset = Surrogate.objects.filter(organization_id=organization_id, archived_at__isnull=True).select_related(
        "stage", "owner", "organization"
    )
    stages = [key for key in filters.get("stages") or [] if isinstance(key, str)]
    if stages:
        queryset = queryset.filter(stage__key__in=stages, stage__organization_id=organization_id)
    if filters.get("source") in Source.values:
        queryset = queryset.filter(source=filters["source"])
    if filters.get("priority") in Priority.values:
        queryset = queryset.filter(priority=filters["priority"])
    if filters.get("state") in US_STATES:
        queryset = queryset.filter(state=filters["state"])
    for key, lookup in (("created_from", "created_at__date__gte"), ("created_to", "created_at__date__lte")):
        if filters.get(key):
            try:
                queryset = queryset.filter(**{lookup: datetime.date.fromisoformat(filters[key])})
            except (TypeError, ValueError):
                pass
    return queryset.order_by("created_at", "id")


def campaign_counts(campaign: Campaign) -> dict:
    counts = EmailLog.objects.filter(organization_id=campaign.organization_id, campaign=campaign).aggregate(
        queued=Count("id", filter=Q(state__in=[EmailLog.State.QUEUED, EmailLog.State.SENDING])),
        sent=Count("id", filter=Q(state=EmailLog.State.SENT)),
        failed=Count("id", filter=Q(state=EmailLog.State.FAILED)),
        opened=Count("id", filter=Q(opened_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
    )
    counts["skipped"] = CampaignSkip.objects.filter(organization_id=campaign.organization_id, campaign=campaign).count()
    return counts


def campaign_skips(campaign: Campaign):
    return CampaignSkip.objects.filter(organization_id=campaign.organization_id, campaign=campaign).select_related(
        "surrogate"
    )


def suppression_count(membership: Membership) -> int:
    return Suppression.objects.filter(organization_id=membership.organization_id).count()
