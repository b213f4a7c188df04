"""Hooks other apps' templates use: the matches card on a surrogate, approvals on the approvals page."""
from django import template

from matching import selectors
from surrogates.selectors import panel_may_have_rows
from tenants import permissions as perms

register = template.Library()


@register.inclusion_tag("matching/_surrogate_card.html", takes_context=True)
def surrogate_matches_card(context, surrogate):
    membership = context["request"].membership
    if not perms.has_perm(membership, perms.MANAGE_MATCHES):
        return {"hidden": True, "matches": [], "surrogate": surrogate}
    if not panel_may_have_rows(surrogate, "matches"):
        return {"matches": [], "surrogate": surrogate}  # the detail page read that there is none
    return {"matches": list(selectors.matches_for_surrogate(surrogate, membership)[:10]), "surrogate": surrogate}


@register.inclusion_tag("matching/_approvals.html", takes_context=True)
def matching_approvals(context):
    request = context["request"]
    membership = request.membership
    return {
        "approvals": list(selectors.pending_approvals_for(membership)),
        "can_approve": perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS),
        "user_id": membership.user_id,
        "csrf_token": context.get("csrf_token"),
    }
