"""The field markup of unbound forms (templates/surrogates/_form_fields.html), rendered once per
process for each form class and set of options.

Django renders every widget, every option and every attribute list through a template; the
detail page shows five such forms (~3 ms of its CPU on the bench machine). An unbound form's
markup depends only on its class and the options of its choice fields, and those options (read
for this request) are part of the cache key, so the markup always matches what the database
says now: there is nothing to invalidate, and another organization, whose options differ, can
never get these bytes. Bound forms (a re-render with errors) are rendered as usual.
"""
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from tenants.page_cache import RenderedPages

TEMPLATE = "surrogates/_form_fields.html"
_rendered = RenderedPages(max_entries=512)


def _options_key(choices) -> tuple:
    key = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # an option group
            key.append((str(value), _options_key(label)))
        else:
            key.append((str(value), str(label)))
    return tuple(key)


def _key(form) -> tuple:
    return (
        type(form),
        form.prefix,
        form.auto_id,
        tuple((name, _options_key(field.choices)) for name, field in form.fields.items() if hasattr(field, "choices")),
    )


def unbound_fields_html(form):
    """The rendered fields of `form`, or None if it is bound (render it the usual way).

    Call only after any database-backed options are in `field.choices` as a list (see
    surrogates.selectors.read_options_once), or the key would run their query again.
    """
    if form.is_bound or form.initial:
        return None
    key = _key(form)
    html = _rendered.get(key)
    if html is None:
        html = mark_safe(render_to_string(TEMPLATE, {"form": form}))
        _rendered.put(key, html)
    return html
