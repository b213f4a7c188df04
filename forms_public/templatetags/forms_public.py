"""{% surrogate_applications surrogate %}: the links, submissions and files section of a
surrogate's page (included by templates/surrogates/detail.html)."""
from django import template

from forms_public import selectors
from forms_public.forms import AttachmentForm, LinkIssueForm
from tenants import permissions as perms

register = template.Library()


@register.inclusion_tag("forms_public/_surrogate_section.html", takes_context=True)
def surrogate_applications(context, surrogate):
    membership = context["request"].membership
    return {
        "surrogate": surrogate,
        "csrf_token": context.get("csrf_token"),
        "can_edit": perms.has_perm(membership, perms.EDIT_SURROGATE),
        "link_form": LinkIssueForm(forms_queryset=selectors.published_forms(membership)),
        "attach_form": AttachmentForm(),
        "links": selectors.surrogate_links(surrogate),
        "submissions": selectors.surrogate_submissions(surrogate),
        "uploads": selectors.surrogate_uploads(surrogate),
    }
