"""Lead ads: record webhook deliveries durably, then turn each lead into one surrogate.

Entry into the organization scope: a webhook names pages, and one delivery may name pages of
several organizations, so `record_webhook` makes the one unscoped lookup (page id -> page) and
then writes each organization's leads inside that organization's scope. The processing task
runs under OrgScopedTask.
"""
import datetime
import logging
import re
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.meta import client
from integrations.meta.models import MetaLead, MetaPage
from surrogates import services as surrogate_services
from surrogates.models import Source, Surrogate
from tenants.pii import email_hash
from tenants.scope import org_scope, unscoped

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
RETRY_BASE_SECONDS = 30
RETRY_CAP_SECONDS = 3600
# ASCII digits only: \d (and str.isdigit) also accept other scripts' digits, e.g. full-width "１２３".
_DIGITS = re.compile(r"[0-9]{1,32}")

# Outcomes of lead_process
DONE = "done"
RETRY = "retry"
FAILED = "failed"


class WebhookPayloadError(Exception):
    """The delivery is not a page webhook we can read (answered 400, nothing stored)."""


@dataclass(frozen=True)
class LeadChange:
    leadgen_id: str
    page_id: str
    form_id: str
    ad_id: str
    adset_id: str
    campaign_id: str
    created_time: datetime.datetime | None


def meta_id(value) -> str:
    """A Meta object id (page, lead, form, ad) as its ASCII digits, or "" if it is not one."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return text if _DIGITS.fullmatch(text) else ""



def _created_time(value):
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 10**11:
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    return None


def parse_webhook(payload) -> list[LeadChange]:
    """The leadgen changes of a page webhook: {"object": "page", "entry": [{"changes": [{"field":
    "leadgen", "value": {"leadgen_id", "page_id", "form_id", "ad_id", "created_time"}}]}]}."""
    if not isinstance(payload, dict) or payload.get("object") != "page":
        raise WebhookPayloadError("Expected a page webhook (object: page).")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise WebhookPayloadError("entry must be a list.")
    changes = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes", []), list):
            raise WebhookPayloadError("Each entry must be an object with a changes list.")
        for change in entry.get("changes", []):
            if not isinstance(change, dict) or change.get("field") != "leadgen":
                continue  # other page fields are not ours to handle
            value = change.get("value")
            if not isinstance(value, dict):
                raise WebhookPayloadError("A leadgen change needs a value object.")
            leadgen_id, page_id = meta_id(value.get("leadgen_id")), meta_id(value.get("page_id") or entry.get("id"))
            if not leadgen_id or not page_id:
                raise WebhookPayloadError("A leadgen change needs numeric leadgen_id and page_id.")
            changes.append(
                LeadChange(
                    leadgen_id=leadgen_id,
                    page_id=page_id,
                    form_id=meta_id(value.get("form_id")),
                    ad_id=meta_id(value.get("ad_id")),
                    adset_id=meta_id(value.get("adgroup_id")),
                    campaign_id=meta_id(value.get("campaign_id")),
                    created_time=_created_time(value.get("created_time")),
                )
            )
    return changes


def record_webhook(*, changes: list[LeadChange]) -> dict:
    """Store each change of a mapped page once (unique leadgen id) and enqueue its processing on
    commit. Returns counts; the caller acknowledges only after this returns."""
    from integrations.meta import tasks

    page_ids = {change.page_id for change in changes}
    with unscoped():  # which organization owns each page: the one cross-tenant lookup
        pages = {
            page.page_id: page
            for page in MetaPage.objects.select_related("organization").filter(page_id__in=page_ids, is_active=True)
        }
    counts = {"stored": 0, "duplicate": 0, "unmapped": 0}
    for change in changes:
        page = pages.get(change.page_id)
        if page is None:
            counts["unmapped"] += 1
            logger.warning("meta webhook: leadgen for an unmapped or inactive page ignored (page %s)", change.page_id)
            continue
        with org_scope(page.organization):
            lead, created = _insert_lead(page=page, change=change)
            ours = lead.organization_id == page.organization_id
            if created or (ours and lead.status == MetaLead.Status.RECEIVED):
                transaction.on_commit(partial(_enqueue, tasks.process_lead, organization_id=page.organization_id, lead_id=lead.pk))
        counts["stored" if created else "duplicate"] += 1
    return counts


def _enqueue(task, **ids) -> None:
    # The lead is already stored: a broker outage must not turn the acknowledgement into a 500
    # (Meta would redeliver, which is harmless, but we would answer badly). requeue_stuck_leads
    # picks up any lead left in `received`.
    try:
        task.delay(**ids)
    except Exception:  # noqa: BLE001 (any broker or task failure; logged, the sweep retries)
        logger.exception("meta: could not run or enqueue %s for lead %s; the sweep will retry", task.name, ids.get("lead_id"))


def _insert_lead(*, page: MetaPage, change: LeadChange) -> tuple[MetaLead, bool]:
    # INSERT, and on the unique leadgen id take the existing row: concurrent redeliveries wait on
    # the first insert's lock and then see its row, so exactly one row exists per lead.
    try:
        with transaction.atomic():
            lead = MetaLead.objects.create(
                organization_id=page.organization_id,
                page=page,
                leadgen_id=change.leadgen_id,
                form_id=change.form_id,
                ad_id=change.ad_id,
                adset_id=change.adset_id,
                campaign_id=change.campaign_id,
                created_time=change.created_time,
            )
        return lead, True
    except IntegrityError:
        with unscoped():
            existing = MetaLead.objects.filter(leadgen_id=change.leadgen_id).only("id", "status", "organization_id").first()
        if existing is None:
            raise
        if existing.organization_id != page.organization_id:
            logger.warning("meta webhook: leadgen id already recorded for another organization; ignored")
        return existing, False


# --- Processing ---------------------------------------------------------------------------------

KNOWN_FIELDS = {"full_name", "first_name", "last_name", "email", "phone_number", "phone", "state", "province"}


def normalise_field_data(field_data) -> dict:
    """Graph's [{"name": ..., "values": [...]}] -> {"full_name", "email", "phone", "state", "answers"}."""
    raw = {}
    for item in field_data if isinstance(field_data, list) else []:
        if not isinstance(item, dict):
            continue
        name = str(item.get("name") or "").strip()
        values = item.get("values")
        values = [str(v).strip() for v in values if v is not None] if isinstance(values, list) else []
        if name:
            raw[name] = ", ".join(v for v in values if v)
    full_name = raw.get("full_name") or " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    state = (raw.get("state") or raw.get("province") or "").strip()
    return {
        "full_name": full_name.strip()[:200],
        "email": (raw.get("email") or "").strip().lower(),
        "phone": (raw.get("phone_number") or raw.get("phone") or "").strip(),
        "state": _state_code(state),
        "answers": {name: value for name, value in raw.items() if name not in KNOWN_FIELDS},
    }


US_STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA",
    "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT",
    "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "puerto rico": "PR", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
}


def _state_code(value: str) -> str:
    value = (value or "").strip()
    if len(value) == 2:
        return value.upper()
    return US_STATE_NAMES.get(value.lower(), "")


def retry_delay(attempt: int) -> int:
    return min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempt - 1))


def lead_process(*, lead_id: int) -> tuple[str, int]:
    """Fetch the lead from Graph and create (or link) its surrogate. Safe to run any number of
    times: the final write re-checks the row under a lock. Returns (outcome, retry countdown)."""
    lead = MetaLead.objects.select_related("page").filter(pk=lead_id).first()
    if lead is None or lead.status != MetaLead.Status.RECEIVED:
        return DONE, 0
    MetaLead.objects.filter(pk=lead.pk).update(attempts=lead.attempts + 1)
    attempt = lead.attempts + 1
    if not lead.page.access_token:
        return _fail(lead, "The page has no access token; set it with manage.py meta_page_token."), 0
    try:
        data = client.fetch_lead(leadgen_id=lead.leadgen_id, access_token=lead.page.access_token)
    except client.GraphPermanent as exc:
        return _fail(lead, f"Graph refused the lead lookup: {exc}"), 0
    except client.GraphTransient as exc:
        logger.warning("meta lead %s: transient Graph error on attempt %s: %s", lead.pk, attempt, exc)
        if attempt >= MAX_ATTEMPTS:
            return _fail(lead, f"Graph unavailable after {attempt} attempts: {exc}"), 0
        MetaLead.objects.filter(pk=lead.pk).update(failure_reason=f"Retrying: {exc}"[:300])
        return RETRY, retry_delay(attempt)
    fields = normalise_field_data(data.get("field_data"))
    return _store_result(lead_id=lead.pk, data=data, fields=fields), 0


def _store_result(*, lead_id: int, data: dict, fields: dict) -> str:
    with transaction.atomic():
        lead = MetaLead.objects.select_for_update().get(pk=lead_id)
        if lead.status != MetaLead.Status.RECEIVED:
            return DONE  # another worker finished it first
        lead.field_data = fields
        lead.form_id = lead.form_id or meta_id(data.get("form_id"))
        lead.ad_id = lead.ad_id or meta_id(data.get("ad_id"))
        lead.adset_id = lead.adset_id or meta_id(data.get("adset_id"))
        lead.campaign_id = lead.campaign_id or meta_id(data.get("campaign_id"))
        existing = _active_by_email(lead.organization_id, fields["email"])
        if existing is None:
            try:
                lead.surrogate = surrogate_services.surrogate_create_from_lead(
                    organization_id=lead.organization_id,
                    full_name=fields["full_name"] or f"Meta lead {lead.leadgen_id[-6:]}",
                    email=fields["email"],
                    phone=fields["phone"],
                    state=fields["state"],
                    source=Source.META,
                )
                lead.status = MetaLead.Status.CREATED
            except surrogate_services.SurrogateError:
                # Another lead with this email won the race: link to its record instead.
                existing = _active_by_email(lead.organization_id, fields["email"])
                if existing is None:
                    raise
        if existing is not None:
            lead.surrogate = existing
            lead.status = MetaLead.Status.LINKED
        lead.failure_reason = ""
        lead.processed_at = timezone.now()
        lead.save()
    return DONE


def _active_by_email(organization_id, email: str):
    hashed = email_hash(email)
    if not hashed:
        return None
    return Surrogate.objects.filter(organization_id=organization_id, email_hash=hashed, archived_at__isnull=True).first()


def _fail(lead: MetaLead, reason: str) -> str:
    MetaLead.objects.filter(pk=lead.pk, status=MetaLead.Status.RECEIVED).update(
        status=MetaLead.Status.FAILED, failure_reason=reason[:300], processed_at=timezone.now()
    )
    logger.warning("meta lead %s failed: %s", lead.pk, reason)
    return FAILED


def lead_retry(*, lead: MetaLead) -> MetaLead:
    """An admin's retry of a failed lead: back to received, processed again on commit."""
    from integrations.meta import tasks

    updated = MetaLead.objects.filter(pk=lead.pk, status=MetaLead.Status.FAILED).update(
        status=MetaLead.Status.RECEIVED, attempts=0, failure_reason=""
    )
    if updated:
        transaction.on_commit(partial(_enqueue, tasks.process_lead, organization_id=lead.organization_id, lead_id=lead.pk))
    return lead
