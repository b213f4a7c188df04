"""Staff pages for email: templates, compose from a record, message detail, campaigns.

Views are adapters: resolve the object through one access helper (404 for another org's ids),
validate a form, call one service, turn an EmailError into a message.
"""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from messaging import selectors, services
from messaging.forms import CampaignForm, ComposeForm, SuppressionForm, TemplateForm
from messaging.models import Suppression
from messaging.services import EmailError
from surrogates.selectors import get_surrogate_for_member, pipeline_stages
from tenants import permissions as perms
from tenants.access import member_required, require_perm
from tracking import html as tracking_html

INVALID = 400


# --- Templates ----------------------------------------------------------------------------------


@member_required
def template_list(request):
    return render(
        request,
        "messaging/templates.html",
        {"templates": selectors.templates_for(request.membership), "can_edit": perms.has_perm(request.membership, perms.EDIT_SURROGATE)},
    )


@member_required
def template_edit(request, public_id=None):
    membership = request.membership
    template = selectors.get_template_for_member(membership, public_id) if public_id else None
    if request.method == "POST":
        require_perm(request, perms.EDIT_SURROGATE)
    initial = {"name": template.name, "subject": template.subject, "body_html": template.body_html} if template else None
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.template_save(membership=membership, template=template, **form.cleaned_data)
        except EmailError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved template “{saved.name}”.")
            return redirect("messaging:templates")
    status = INVALID if request.method == "POST" else 200
    return render(request, "messaging/template_form.html", {"form": form, "template": template}, status=status)


# --- Compose from a surrogate's record ------------------------------------------------------------


@member_required
def compose(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = ComposeForm(request.POST or None, templates=selectors.templates_for(membership))
    preview = None
    if request.method == "POST":
        require_perm(request, perms.EDIT_SURROGATE)
        if form.is_valid():
            data = form.cleaned_data
            if request.POST.get("action") == "send":
                try:
                    services.email_send(
                        membership=membership,
                        surrogate=surrogate,
                        subject=data["subject"],
                        body_html=data["body_html"],
                        idempotency_key=data["idempotency_key"],
                        template=data.get("template"),
                    )
                except EmailError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"Email to {surrogate.surrogate_number} is on its way.")
                    return redirect(reverse("surrogates:detail", args=[surrogate.public_id]))
            else:
                subject, body = services.render_for(
                    membership=membership, surrogate=surrogate, subject=data["subject"], body_html=data["body_html"]
                )
                preview = {"subject": subject, "body_html": body}
    status = INVALID if request.method == "POST" and form.errors else 200
    return render(
        request, "messaging/compose.html", {"form": form, "surrogate": surrogate, "preview": preview}, status=status
    )


@member_required
def message_detail(request, public_id):
    log = selectors.get_email_log_for_member(request.membership, public_id)
    events = log.tracking_events.filter(organization_id=log.organization_id).select_related("link")[:50]
    links = list(log.links.filter(organization_id=log.organization_id).order_by("position"))
    body = tracking_html.for_staff(log.body_html, public_id=log.public_id, links=[(l.position, l.url) for l in links])
    return render(request, "messaging/message.html", {"log": log, "events": events, "links": links, "body_html": body})


# --- Campaigns ----------------------------------------------------------------------------------


@member_required
def campaign_list(request):
    require_perm(request, perms.VIEW_ALL_SURROGATES)
    return render(
        request,
        "messaging/campaigns.html",
        {
            "campaigns": selectors.campaigns_for(request.membership),
            "suppressed": selectors.suppression_count(request.membership),
            "suppression_form": SuppressionForm(),
        },
    )


@member_required
def campaign_new(request):
    require_perm(request, perms.VIEW_ALL_SURROGATES)
    membership = request.membership
    form = CampaignForm(
        request.POST or None, templates=selectors.templates_for(membership), stages=list(pipeline_stages(membership))
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(
                membership=membership,
                name=form.cleaned_data["name"],
                template=form.cleaned_data["template"],
                filters=form.filters(),
                scheduled_for=form.cleaned_data.get("scheduled_for"),
            )
        except EmailError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Campaign “{campaign.name}” saved.")
            return redirect("messaging:campaign", public_id=campaign.public_id)
    status = INVALID if request.method == "POST" else 200
    return render(request, "messaging/campaign_form.html", {"form": form}, status=status)


@member_required
def campaign_detail(request, public_id):
    campaign = selectors.get_campaign_for_member(request.membership, public_id)
    matching = selectors.campaign_recipients(organization_id=campaign.organization_id, filters=campaign.filters)
    return render(
        request,
        "messaging/campaign.html",
        {
            "campaign": campaign,
            "counts": selectors.campaign_counts(campaign),
            "matching": matching.count(),
            "skips": selectors.campaign_skips(campaign)[:100],
            "logs": campaign.email_logs.filter(organization_id=campaign.organization_id).select_related("surrogate")[:200],
        },
    )


@member_required
@require_POST
def campaign_send(request, public_id):
    campaign = selectors.get_campaign_for_member(request.membership, public_id)
    try:
        services.campaign_send_now(membership=request.membership, campaign=campaign)
    except EmailError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Campaign “{campaign.name}” is sending.")
    return redirect("messaging:campaign", public_id=campaign.public_id)


@member_required
@require_POST
def campaign_cancel(request, public_id):
    campaign = selectors.get_campaign_for_member(request.membership, public_id)
    try:
        services.campaign_cancel(membership=request.membership, campaign=campaign)
    except EmailError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Campaign “{campaign.name}” cancelled.")
    return redirect("messaging:campaign", public_id=campaign.public_id)


@member_required
@require_POST
def suppression_add(request):
    require_perm(request, perms.VIEW_ALL_SURROGATES)
    form = SuppressionForm(request.POST)
    if form.is_valid():
        services.suppression_add(
            organization_id=request.membership.organization_id,
            email=form.cleaned_data["email"],
            reason=Suppression.Reason.MANUAL,
            actor=request.user,
        )
        messages.success(request, "That address will not be emailed again.")
    else:
        messages.error(request, "Enter a valid email address.")
    return redirect("messaging:campaigns")

