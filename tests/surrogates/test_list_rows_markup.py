"""The list's rows are built in Python (surrogates/templatetags/surrogate_rows.py): same markup as
the per-row template they replaced, and every value escaped as {{ }} would."""
import pytest
from django.template import Context, Template
from django.utils import timezone

from surrogates.models import Queue, Surrogate
from tenants.scope import org_scope
from tests.conftest import login
from tests.surrogates.test_views_list import LIST_URL, admin_a, make  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres

# The template the rows used to be rendered with, kept here as the reference.
REFERENCE = """{% for s in surrogates %}
    <tr data-surrogate="{{ s.public_id }}"{% if s.archived_at %} class="archived"{% endif %}>
      {% if assign_form %}<td><input type="checkbox" name="ids" value="{{ s.public_id }}" form="bulk-assign" aria-label="Select {{ s.surrogate_number }}"></td>{% endif %}
      <td><a href="{{ s.list_url }}">{{ s.surrogate_number }}</a></td>
      <td><a href="{{ s.list_url }}">{{ s.full_name }}</a>{% if s.archived_at %} <span class="pill pill-muted">Archived</span>{% endif %}</td>
      <td><span class="pill stage-{{ s.stage.stage_type }}">{{ s.stage.label }}</span></td>
      <td>{% if s.owner %}{{ s.owner.display_name }}{% elif s.owner_queue %}<span class="pill pill-muted">{{ s.owner_queue.name }}</span>{% else %}<span class="muted">Unassigned</span>{% endif %}</td>
      <td>{{ s.list_source }}</td>
      <td><span class="priority-{{ s.priority }}">{{ s.list_priority }}</span></td>
      <td>{{ s.list_stage_changed }}</td>
      <td>{{ s.list_created }}</td>
    </tr>{% endfor %}"""
HOSTILE = "<script>alert('x')</script> & \"Eve\""


def _squeeze(html: str) -> str:
    return " ".join(html.split())


def test_python_rows_match_the_reference_template_including_hostile_values(client, world, admin_a):
    org = admin_a.organization
    owned = make(admin_a, full_name=HOSTILE)
    queued = make(admin_a, full_name="Queued Person")
    unassigned = make(admin_a, full_name="Nobody's")
    archived = make(admin_a, full_name="Old Record")
    with org_scope(org):
        queue = Queue.objects.create(name="<b>Intake</b> queue")
        Surrogate.objects.filter(pk=queued.pk).update(owner=None, owner_queue=queue)
        Surrogate.objects.filter(pk=unassigned.pk).update(owner=None, owner_queue=None)
        Surrogate.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    response = login(client, admin_a).get(LIST_URL, {"archived": "all"})
    assert response.status_code == 200
    rows = response.context["surrogates"]
    assert {s.pk for s in rows} == {owned.pk, queued.pk, unassigned.pk, archived.pk}

    from surrogates.templatetags.surrogate_rows import surrogate_rows

    for selectable in (True, False):
        expected = Template(REFERENCE).render(Context({"surrogates": rows, "assign_form": selectable}))
        assert _squeeze(surrogate_rows(rows, selectable)) == _squeeze(expected)

    html = response.content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Eve&quot;" in html
    assert "&lt;b&gt;Intake&lt;/b&gt; queue" in html and "<b>Intake</b>" not in html
    assert 'class="archived"' in html and '<span class="muted">Unassigned</span>' in html
    assert 'name="ids"' in html  # the admin may assign: the checkbox column is there


def test_an_empty_list_says_so(client, world, admin_a):
    html = login(client, admin_a).get(LIST_URL, {"q": "nobody by this name"}).content.decode()
    assert "No surrogates match." in html
