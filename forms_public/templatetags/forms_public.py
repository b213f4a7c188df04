"""{% surrogate_applications surrogate %}: the links, submissions and files section of a
surrogate's page (included by templates/surrogates/detail.html)."""
from django import template

from forms_public import selectors
from forms_public.forms import AttachmentForm, LinkIssueForm
from surrogates.form_markup import unbound_fields_html
from surrogates.selectors import panel_may_have_rows, read_options_once
from tenants import permissions as perms

register = template.Library()


@register.inclusion_tag("forms_public/_surrogate_section.html", takes_context=True)
def surrogate_applications(context, surrogate):
    membership = context["request"].membership
    can_edit = perms.has_perm(membership, perms.EDIT_SURROGATE)
    link_form = LinkIssueForm(forms_queryset=selectors.published_forms(membership))
    has_forms = False
    if can_edit and not surrogate.archived_at:
        # The published forms read once: the same list says whether there is any and fills the select.
        has_forms = read_options_once(link_form.fields["form"])
    # The detail page read which of these have rows: the empty ones do not query.
    links = selectors.surrogate_links(surrogate) if panel_may_have_rows(surrogate, "application_links") else []
    submissions = selectors.surrogate_submissions(surrogate) if panel_may_have_rows(surrogate, "submissions") else []
    uploads = selectors.surrogate_uploads(surrogate) if panel_may_have_rows(surrogate, "uploads") else []
    attach_form = AttachmentForm()
    return {
        "surrogate": surrogate,
        "csrf_token": context.get("csrf_token"),
        "can_edit": can_edit,
        "link_form": link_form,
        "has_forms": has_forms,
        # Markup rendered once per process and set of options (surrogates.form_markup).
        "link_fields": unbound_fields_html(link_form) if has_forms else None,
        "attach_form": attach_form,
        "attach_fields": unbound_fields_html(attach_form) if can_edit else None,
        "links": links,
        "submissions": submissions,
        "uploads": uploads,
    }
