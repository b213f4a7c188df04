"""{% surrogate_emails surrogate %}: the Email section of a surrogate's page (included by
templates/surrogates/detail.html): a link to compose, and the recent messages with their state."""
from django import template

from messaging import selectors
from surrogates.selectors import panel_may_have_rows
from tenants import permissions as perms

register = template.Library()


@register.inclusion_tag("messaging/_surrogate_section.html", takes_context=True)
def surrogate_emails(context, surrogate):
    membership = context["request"].membership
    return {
        "surrogate": surrogate,
        "can_send": perms.has_perm(membership, perms.EDIT_SURROGATE) and not surrogate.archived_at,
        # An empty list, without a query, when the detail page read that there is none.
        "emails": selectors.surrogate_emails(surrogate) if panel_may_have_rows(surrogate, "email_logs") else [],
    }
