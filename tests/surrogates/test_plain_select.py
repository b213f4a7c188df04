"""The list's selects are written in Python (surrogates/templatetags/plain_select.py): the same
elements, attributes, selection and text as Django's Select widget renders, hostile labels included."""
from html.parser import HTMLParser

import pytest
from django import forms

from surrogates.models import Queue
from surrogates.templatetags.plain_select import plain_select
from tenants.scope import org_scope
from tests.conftest import login
from tests.surrogates.test_views_list import LIST_URL, admin_a  # noqa: F401 (fixture)

HOSTILE = "<script>alert('x')</script> & \"Eve\""


class _Elements(HTMLParser):
    """Start tags with their attributes, end tags and non-blank text, in document order."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append(("start", tag, sorted(attrs, key=lambda pair: pair[0])))

    def handle_endtag(self, tag):
        self.found.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.found.append(("text", data.strip()))


def _parsed(html: str) -> list:
    parser = _Elements()
    parser.feed(str(html))
    return parser.found


class _Sample(forms.Form):
    plain = forms.ChoiceField(required=False, choices=[("", "Any"), ("a", HOSTILE), (HOSTILE, "b"), ("7", "Seven")])
    grouped = forms.ChoiceField(choices=[("", "Choose…"), ("People <&>", [("u1", HOSTILE), ("u2", "Bo")]),
                                         ("Queues", [("q1", "Intake")])])


@pytest.mark.parametrize("data", [None, {}, {"plain": "a", "grouped": "u2"}, {"plain": HOSTILE},
                                  {"plain": "7", "grouped": "q1"}, {"plain": "not a choice", "grouped": ""}])
def test_same_markup_as_djangos_select(data):
    form = _Sample(data)
    for name in ("plain", "grouped"):
        assert _parsed(plain_select(form[name])) == _parsed(form[name]), (name, data)


@pytest.mark.postgres
def test_list_page_filters_and_assign_target_keep_the_chosen_values(client, world, admin_a):
    with org_scope(admin_a.organization):
        queue = Queue.objects.create(name=HOSTILE)
    response = login(client, admin_a).get(LIST_URL, {"owner": f"q{queue.public_id}", "sort": "name"})
    assert response.status_code == 200
    body = response.content.decode()
    page = _parsed(body)
    form = response.context["form"]
    for name in ("stage", "owner", "source", "priority", "archived", "sort"):
        assert _parsed(plain_select(form[name])) == _parsed(form[name])
    assert ("start", "option", [("selected", None), ("value", f"q{queue.public_id}")]) in page
    assert ("start", "option", [("selected", None), ("value", "name")]) in page
    assert "<script>alert" not in body
    target = response.context["assign_form"]["target"]
    assert _parsed(plain_select(target)) == _parsed(target)
    assert ("start", "select", [("id", "id_target"), ("name", "target"), ("required", None)]) in page
