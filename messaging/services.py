"""Writes for outbound email. Views and tasks call these; nothing else writes these tables.

Sending is two steps. `email_queue` (in the request or campaign launch) writes one EmailLog row
per idempotency key (the unique constraint makes a repeat a no-op) and enqueues the send task on
commit. `email_deliver` (in the task) claims the row with a conditional UPDATE, calls the
transport once, and finalises with another conditional UPDATE guarded by the claim version.
"""
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations import leases
from integrations.gmail.client import GmailAmbiguous, GmailAuthError, GmailError, GmailNotSent
from messaging import rendering
from messaging.models import Campaign, CampaignSkip, EmailLog, EmailTemplate, Suppression
from messaging.transports import TransportUnavailable, transport_for, unsubscribe_url
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership
from tenants.pii import email_hash
from tracking import html as tracking_html
from tracking.models import TrackedLink

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


class EmailError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


def _require(membership: Membership, permission: str) -> None:
    if not perms.has_perm(membership, permission):
        raise EmailError("Your role does not allow this.")


# --- Templates ----------------------------------------------------------------------------------


def template_save(
    *, membership: Membership, name: str, subject: str, body_html: str, template: EmailTemplate | None = None
) -> EmailTemplate:
    _require(membership, perms.EDIT_SURROGATE)
    name, subject = (name or "").strip(), " ".join((subject or "").split())
    body = rendering.sanitize(body_html)
    if not name or not subject or not body.strip():
        raise EmailError("A template needs a name, a subject and a body.")
    clash = EmailTemplate.objects.filter(organization_id=membership.organization_id, name=name)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise EmailError("Another template already has this name.")
    with transaction.atomic():
        created = template is None
        if created:
            template = EmailTemplate(organization_id=membership.organization_id, created_by=membership.user)
        template.name, template.subject, template.body_html = name, subject, body
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError as exc:
            raise EmailError("Another template already has this name.") from exc
        audit_record(
            actor=membership.user, action="email_template.created" if created else "email_template.updated", target=template
        )
    return template


def render_for(*, membership: Membership, surrogate, subject: str, body_html: str) -> tuple[str, str]:
    """(subject, html) as this surrogate would receive them, before tracking is added (the preview)."""
    values = rendering.values_for(surrogate=surrogate, sender=membership)
    return rendering.render_subject(subject, values), rendering.render_body(body_html, values)


# --- Suppression --------------------------------------------------------------------------------


def is_suppressed(*, organization_id, to_hash: str) -> bool:
    return Suppression.objects.filter(organization_id=organization_id, email_hash=to_hash).exists()


def suppression_add(*, organization_id, email: str = "", hashed: str = "", reason: str, actor=None) -> Suppression:
    hashed = hashed or email_hash(email)
    if not hashed:
        raise EmailError("Enter an email address.")
    suppression, created = Suppression.objects.get_or_create(
        organization_id=organization_id, email_hash=hashed, defaults={"reason": reason}
    )
    if created:
        audit_record(actor=actor, action="email.suppressed", target=suppression.organization, data={"reason": reason})
    return suppression


# --- Queueing a message -------------------------------------------------------------------------


def _enqueue(log: EmailLog) -> None:
    from messaging.tasks import send_email

    transaction.on_commit(lambda: send_email.delay(organization_id=log.organization_id, email_log_id=log.pk))


def email_queue(
    *,
    organization_id,
    idempotency_key: str,
    to_email: str,
    subject: str,
    body_html: str,
    sender: Membership | None,
    surrogate=None,
    template=None,
    campaign=None,
    unsubscribe: bool = False,
) -> tuple[EmailLog, bool]:
    """One EmailLog per (organization, key), enqueued on commit; (log, created). Repeats return the first."""
    existing = EmailLog.objects.filter(organization_id=organization_id, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    public_id = uuid.uuid4()
    tracked_html, links = tracking_html.rewrite(body_html, public_id=public_id)
    log = EmailLog(
        organization_id=organization_id,
        public_id=public_id,
        idempotency_key=idempotency_key,
        sender=sender,
        surrogate=surrogate,
        template=template,
        campaign=campaign,
        to_email=to_email.strip(),
        to_hash=email_hash(to_email),
        subject=subject,
        body_html=tracked_html,
        message_id=EmailLog.new_message_id(),
        unsubscribe=unsubscribe,
    )
    if unsubscribe:
        log.body_html += (
            f'<p style="font-size:12px;color:#666"><a href="{unsubscribe_url(log)}">Unsubscribe</a> '
            "from these emails.</p>"
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                log.save()
        except IntegrityError:
            return EmailLog.objects.get(organization_id=organization_id, idempotency_key=idempotency_key), False
        TrackedLink.objects.bulk_create(
            [TrackedLink(organization_id=organization_id, email_log=log, position=p, url=u) for p, u in links]
        )
        _enqueue(log)
    return log, True


def email_send(
    *,
    membership: Membership,
    surrogate,
    subject: str,
    body_html: str,
    idempotency_key: str,
    template: EmailTemplate | None = None,
) -> EmailLog:
    """A coordinator's email to one surrogate (the view resolved the surrogate for this member)."""
    _require(membership, perms.EDIT_SURROGATE)
    if surrogate.organization_id != membership.organization_id:
        raise EmailError("That record belongs to another organization.")
    if not surrogate.email:
        raise EmailError("This surrogate has no email address.")
    if not (idempotency_key or "").strip() or len(idempotency_key) > 100:
        raise EmailError("The form expired; open it again.")
    if is_suppressed(organization_id=membership.organization_id, to_hash=surrogate.email_hash or email_hash(surrogate.email)):
        raise EmailError("This address has unsubscribed; it will not be emailed.")
    rendered_subject, rendered_html = render_for(membership=membership, surrogate=surrogate, subject=subject, body_html=body_html)
    if not rendered_subject or not rendered_html.strip():
        raise EmailError("An email needs a subject and a body.")
    with transaction.atomic():
        log, created = email_queue(
            organization_id=membership.organization_id,
            idempotency_key=f"manual:{membership.pk}:{idempotency_key.strip()}",
            to_email=surrogate.email,
            subject=rendered_subject,
            body_html=rendered_html,
            sender=membership,
            surrogate=surrogate,
            template=template,
        )
        if created:
            audit_record(
                actor=membership.user,
                action="email.queued",
                target=surrogate,
                data={"email_log": str(log.public_id), "template": str(template.public_id) if template else None},
            )
    return log


# --- Delivering (inside the Celery task) --------------------------------------------------------

DONE, RETRY = leases.DONE, leases.RETRY
LEASE = leases.LeaseSpec(model=EmailLog, ready=EmailLog.State.QUEUED, busy=EmailLog.State.SENDING)


def _backoff(attempts: int) -> float:
    return leases.backoff(attempts, settings.EMAIL_RETRY_BASE_SECONDS)


def _fail(claim: leases.Claim, log: EmailLog, error: str) -> tuple[str, None]:
    claim.finish(EmailLog.State.FAILED, last_error=error[:300])
    logger.warning("email %s failed: %s", log.public_id, error[:120])
    return DONE, None


def _auth_failed(claim: leases.Claim, log: EmailLog, transport, exc) -> tuple[str, None]:
    if hasattr(transport, "flag_reconnect"):
        transport.flag_reconnect(str(exc))
    return _fail(claim, log, f"reconnect needed: {exc}")


def email_deliver(*, email_log_id: int) -> tuple[str, float | None]:
    """Send one queued message at most once. Returns (DONE, None) or (RETRY, countdown seconds).

    The claim, lease and reconcile-first rule are integrations.leases (shared with Zoom)."""
    log = EmailLog.objects.filter(pk=email_log_id).first()
    if log is None or log.state in (EmailLog.State.SENT, EmailLog.State.FAILED, EmailLog.State.SKIPPED):
        return DONE, None
    claim = leases.claim(LEASE, log, lease_seconds=settings.EMAIL_SEND_LEASE_SECONDS)
    if not isinstance(claim, leases.Claim):
        return RETRY, claim  # another worker holds the claim (or held it and died): wait for its lease
    try:
        transport = transport_for(log)
    except TransportUnavailable as exc:
        return _fail(claim, log, str(exc))
    claim.update(transport=transport.name)

    attempts = log.attempts
    if claim.maybe_sent:  # an earlier attempt may have landed
        try:
            found = transport.find(log)
        except GmailAuthError as exc:
            return _auth_failed(claim, log, transport, exc)
        except GmailError as exc:
            # Still unknown whether the earlier attempt landed: stay `sending`, try again later.
            claim.lapse(f"reconcile failed: {exc}")
            return RETRY, _backoff(attempts)
        if found is not None:
            claim.finish(EmailLog.State.SENT, provider_message_id=found, sent_at=timezone.now())
            logger.info("email %s reconciled: it had been sent", log.public_id)
            return DONE, None
    if attempts >= MAX_ATTEMPTS:
        return _fail(claim, log, f"gave up after {attempts} attempts: {log.last_error}")
    # Counted before the call: a crash from here on leaves `sending`, which forces a reconcile
    # before anyone tries again.
    attempts += 1
    claim.update(attempts=attempts)
    try:
        provider_id = transport.send(log)
    except GmailAuthError as exc:
        return _auth_failed(claim, log, transport, exc)
    except GmailNotSent as exc:
        # Provably not delivered: release the claim (back to queued) and retry later, bounded.
        if attempts >= MAX_ATTEMPTS:
            return _fail(claim, log, str(exc))
        claim.release(str(exc))
        return RETRY, _backoff(attempts)
    except GmailAmbiguous as exc:
        # Maybe delivered: stay `sending` with the lease lapsed; the next attempt reconciles first.
        claim.lapse(str(exc))
        return RETRY, _backoff(attempts)
    except GmailError as exc:  # permanent (4xx): never retried
        return _fail(claim, log, str(exc))
    claim.finish(EmailLog.State.SENT, provider_message_id=provider_id, sent_at=timezone.now(), last_error="")
    logger.info("email %s sent via %s (attempt %s)", log.public_id, transport.name, attempts)
    return DONE, None


# --- Campaigns ----------------------------------------------------------------------------------


def campaign_create(
    *, membership: Membership, name: str, template: EmailTemplate, filters: dict, scheduled_for=None
) -> Campaign:
    _require(membership, perms.VIEW_ALL_SURROGATES)
    if template.organization_id != membership.organization_id:
        raise EmailError("That template belongs to another organization.")
    if not (name or "").strip():
        raise EmailError("A campaign needs a name.")
    if scheduled_for is not None and scheduled_for <= timezone.now():
        raise EmailError("Schedule the campaign in the future, or send it now.")
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organization_id=membership.organization_id,
            name=name.strip(),
            template=template,
            filters=filters,
            sender=membership,
            state=Campaign.State.SCHEDULED if scheduled_for else Campaign.State.DRAFT,
            scheduled_for=scheduled_for,
        )
        audit_record(
            actor=membership.user,
            action="campaign.created",
            target=campaign,
            data={"filters": filters, "scheduled_for": scheduled_for.isoformat() if scheduled_for else None},
        )
    return campaign


def campaign_send_now(*, membership: Membership, campaign: Campaign) -> Campaign:
    _require(membership, perms.VIEW_ALL_SURROGATES)
    with transaction.atomic():
        changed = Campaign.objects.filter(
            pk=campaign.pk, state__in=[Campaign.State.DRAFT, Campaign.State.SCHEDULED]
        ).update(state=Campaign.State.SCHEDULED, scheduled_for=timezone.now())
        if not changed:
            raise EmailError("This campaign has already been sent or cancelled.")
        audit_record(actor=membership.user, action="campaign.send_now", target=campaign)
        from messaging.tasks import launch_campaign

        transaction.on_commit(lambda: launch_campaign.delay(organization_id=campaign.organization_id, campaign_id=campaign.pk))
    campaign.refresh_from_db()
    return campaign


def campaign_cancel(*, membership: Membership, campaign: Campaign) -> None:
    _require(membership, perms.VIEW_ALL_SURROGATES)
    with transaction.atomic():
        changed = Campaign.objects.filter(
            pk=campaign.pk, state__in=[Campaign.State.DRAFT, Campaign.State.SCHEDULED]
        ).update(state=Campaign.State.CANCELLED)
        if not changed:
            raise EmailError("Only a campaign that has not started can be cancelled.")
        audit_record(actor=membership.user, action="campaign.cancelled", target=campaign)


def campaign_launch(*, campaign_id: int) -> dict:
    """Queue one message per matched address (in the campaign's org scope, inside the task).

    Claimed with a state guard (scheduled -> running); a re-run of a running campaign is safe
    because every recipient's message is keyed by (campaign, address hash).
    """
    from messaging.selectors import campaign_recipients

    now = timezone.now()
    claimed = Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SCHEDULED, scheduled_for__lte=now).update(
        state=Campaign.State.RUNNING, started_at=now
    )
    campaign = Campaign.objects.select_related("template", "sender__user").filter(pk=campaign_id).first()
    if campaign is None or (not claimed and campaign.state != Campaign.State.RUNNING):
        return {"queued": 0}
    counts = {"queued": 0, "skipped": 0}
    seen: set[str] = set()
    already_skipped = set(CampaignSkip.objects.filter(campaign=campaign).values_list("surrogate_id", flat=True))
    suppressed = set(Suppression.objects.values_list("email_hash", flat=True))
    for surrogate in campaign_recipients(organization_id=campaign.organization_id, filters=campaign.filters):
        reason = None
        to_hash = surrogate.email_hash or email_hash(surrogate.email)
        if not surrogate.email:
            reason = CampaignSkip.Reason.NO_EMAIL
        elif to_hash in suppressed:
            reason = CampaignSkip.Reason.SUPPRESSED
        elif to_hash in seen:
            reason = CampaignSkip.Reason.DUPLICATE
        if reason is not None:
            if surrogate.pk not in already_skipped:
                CampaignSkip.objects.create(
                    organization_id=campaign.organization_id, campaign=campaign, surrogate=surrogate, reason=reason
                )
            counts["skipped"] += 1
            continue
        seen.add(to_hash)
        sender = campaign.sender
        values = rendering.values_for(surrogate=surrogate, sender=sender)
        with transaction.atomic():
            _, created = email_queue(
                organization_id=campaign.organization_id,
                idempotency_key=f"campaign:{campaign.public_id}:{to_hash}",
                to_email=surrogate.email,
                subject=rendering.render_subject(campaign.template.subject, values),
                body_html=rendering.render_body(campaign.template.body_html, values),
                sender=sender,
                surrogate=surrogate,
                template=campaign.template,
                campaign=campaign,
                unsubscribe=True,
            )
        counts["queued"] += int(created)
    Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.RUNNING).update(
        state=Campaign.State.DONE, finished_at=timezone.now()
    )
    audit_record(actor=None, action="campaign.launched", target=campaign, data=counts)
    return counts
