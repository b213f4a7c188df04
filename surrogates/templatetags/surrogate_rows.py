"""The surrogate list's table rows, built in Python.

Why not a {% for %} over cells: the list is the page coordinators load most, at 50 rows per page,
and the template engine resolved ~15 variables and 4 conditions per row (~750 lookups a page,
the largest single cost of the page after the SQL). Here every value goes through html.escape,
exactly as {{ }} autoescaping does; tests/surrogates/test_list_rows_markup.py renders the old
per-row template beside this and compares them, hostile names included.
"""
from html import escape as _escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def escape(value) -> str:
    # What django.utils.html.escape does (html.escape of str()), without its lazy-string wrapper,
    # which cost more than the escaping itself at ~600 calls per page.
    return _escape(str(value))


def _owner_cell(s) -> str:
    if s.owner_id is not None and s.owner:
        return escape(s.owner.display_name)
    if s.owner_queue_id is not None and s.owner_queue:
        return f'<span class="pill pill-muted">{escape(s.owner_queue.name)}</span>'
    return '<span class="muted">Unassigned</span>'


def row_html(s, *, selectable: bool) -> str:
    """One <tr> for a list_selectors.ListRow."""
    number, url = escape(s.surrogate_number), escape(s.list_url)
    archived = s.archived_at is not None
    row_class = ' class="archived"' if archived else ""
    archived_pill = ' <span class="pill pill-muted">Archived</span>' if archived else ""
    select = (
        f'<td><input type="checkbox" name="ids" value="{s.public_id}" form="bulk-assign" aria-label="Select {number}"></td>'
        if selectable
        else ""
    )
    return (
        f'    <tr data-surrogate="{s.public_id}"{row_class}>\n'
        f"      {select}\n"
        f'      <td><a href="{url}">{number}</a></td>\n'
        f'      <td><a href="{url}">{escape(s.full_name)}</a>{archived_pill}</td>\n'
        f'      <td><span class="pill stage-{escape(s.stage.stage_type)}">{escape(s.stage.label)}</span></td>\n'
        f"      <td>{_owner_cell(s)}</td>\n"
        f"      <td>{escape(s.list_source)}</td>\n"
        f'      <td><span class="priority-{escape(s.priority)}">{escape(s.list_priority)}</span></td>\n'
        f"      <td>{escape(s.list_stage_changed)}</td>\n"
        f"      <td>{escape(s.list_created)}</td>\n"
        "    </tr>\n"
    )


@register.simple_tag
def surrogate_rows(rows, selectable) -> str:
    return mark_safe("".join(row_html(s, selectable=bool(selectable)) for s in rows))
