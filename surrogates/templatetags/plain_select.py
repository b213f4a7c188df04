"""A form field's <select>, written in Python.

Why: Django's Select widget renders every <option> through its own template include; the list
page has seven selects (six filters and the bulk-assign target) with ~60 options in all, and
that rendering was about a tenth of the page's time. The markup is what the widget renders
(name, id, required, selected, optgroups; every value escaped): tests/surrogates/
test_plain_select.py parses both and compares them, hostile labels included.
"""
from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def _options(choices, selected: str) -> list[str]:
    out = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):  # an optgroup: (group label, [(value, label), ...])
            out.append(f'  <optgroup label="{escape(str(value))}">')
            out.extend(f"  {line}" for line in _options(label, selected))
            out.append("  </optgroup>")
            continue
        text = "" if value is None else str(value)
        mark = " selected" if text == selected else ""
        out.append(f'  <option value="{escape(text)}"{mark}>{escape(str(label))}</option>')
    return out


@register.simple_tag
def plain_select(bound_field) -> str:
    """The <select> of a ChoiceField's bound field, one option selected as Django's widget picks it
    (the field's current value as text; no value selects the "" option)."""
    value = bound_field.value()
    selected = "" if value is None else str(value)
    attrs = {"name": bound_field.html_name}
    if bound_field.auto_id:
        attrs["id"] = bound_field.auto_id
    # Django's own rules for required, disabled, aria-invalid and aria-describedby.
    attrs.update(bound_field.build_widget_attrs({}))
    markup = " ".join(name if value is True else f'{name}="{escape(str(value))}"'
                      for name, value in attrs.items() if value is not False)
    lines = [f"<select {markup}>", *_options(bound_field.field.choices, selected), "</select>"]
    return mark_safe("\n".join(lines))
