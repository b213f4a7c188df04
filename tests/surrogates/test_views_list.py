import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from surrogates import services
from surrogates.models import Stage, Surrogate
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres

LIST_URL = reverse("surrogates:list")


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def listed(response):
    return [s.public_id for s in response.context["surrogates"]]


@pytest.fixture
def admin_a(world):
    return world.member(world.org_a, Role.ADMIN)


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_rows_link_to_detail_with_number_and_name(client, world, admin_a):
    surrogate = make(admin_a, full_name="Maya Patel")
    response = login(client, admin_a).get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    detail = reverse("surrogates:detail", args=[surrogate.public_id])
    assert f'<tr data-surrogate="{surrogate.public_id}"' in html
    assert f'<a href="{detail}">{surrogate.surrogate_number}</a>' in html
    assert f'<a href="{detail}">Maya Patel</a>' in html
    assert 'name="q"' in html


def test_other_organizations_rows_are_never_listed(client, world, admin_a):
    mine = make(admin_a, full_name="Mine")
    theirs = make(world.member(world.org_b, Role.ADMIN), full_name="Theirs")
    response = login(client, admin_a).get(LIST_URL, {"archived": "all"})
    assert listed(response) == [mine.public_id]
    assert str(theirs.public_id) not in response.content.decode()


def test_intake_specialist_sees_only_surrogates_they_own(client, world, admin_a):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    own = make(admin_a, full_name="Own", owner=intake.user)
    make(admin_a, full_name="Someone else's", owner=world.member(world.org_a, Role.CASE_MANAGER).user)
    make(admin_a, full_name="Unassigned")
    response = login(client, intake).get(LIST_URL)
    assert listed(response) == [own.public_id]


def test_archived_hidden_by_default_and_shown_on_request(client, world, admin_a):
    active = make(admin_a, full_name="Active")
    archived = make(admin_a, full_name="Archived")
    with org_scope(world.org_a):
        services.surrogate_archive(membership=admin_a, surrogate=archived)
    login(client, admin_a)
    assert listed(client.get(LIST_URL)) == [active.public_id]
    assert listed(client.get(LIST_URL, {"archived": "archived"})) == [archived.public_id]
    assert set(listed(client.get(LIST_URL, {"archived": "all"}))) == {active.public_id, archived.public_id}


def test_filters_by_stage_owner_source_and_priority(client, world, admin_a):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    plain = make(admin_a, full_name="Plain")
    web = make(admin_a, full_name="Web", source="website")
    urgent = make(admin_a, full_name="Urgent", priority="urgent")
    owned = make(admin_a, full_name="Owned", owner=case.user)
    moved = make(admin_a, full_name="Moved")
    with org_scope(world.org_a):
        contacted = Stage.objects.get(key="contacted")
        services.surrogate_change_status(membership=admin_a, surrogate=moved, to_stage=contacted)
    login(client, admin_a)
    assert listed(client.get(LIST_URL, {"stage": "contacted"})) == [moved.public_id]
    assert listed(client.get(LIST_URL, {"source": "website"})) == [web.public_id]
    assert listed(client.get(LIST_URL, {"priority": "urgent"})) == [urgent.public_id]
    assert listed(client.get(LIST_URL, {"owner": str(case.user.pk)})) == [owned.public_id]
    assert owned.public_id not in listed(client.get(LIST_URL, {"owner": "none"}))
    assert plain.public_id in listed(client.get(LIST_URL, {"owner": "none"}))


def test_search_by_name_is_case_insensitive_substring(client, world, admin_a):
    hit = make(admin_a, full_name="Olivia Nguyen")
    make(admin_a, full_name="Emma Brown")
    response = login(client, admin_a).get(LIST_URL, {"q": "nguy"})
    assert listed(response) == [hit.public_id]


def test_search_by_exact_email_finds_through_the_lookup_hash(client, world, admin_a):
    hit = make(admin_a, full_name="Grace Kim", email="grace.kim@mail.example.com")
    make(admin_a, full_name="Other", email="other@mail.example.com")
    login(client, admin_a)
    assert listed(client.get(LIST_URL, {"q": "  Grace.Kim@MAIL.example.com "})) == [hit.public_id]
    # Exact only: the column is ciphertext, a fragment of an address matches nothing.
    assert listed(client.get(LIST_URL, {"q": "grace.kim@mail"})) == []


def test_search_by_exact_phone_ignores_formatting(client, world, admin_a):
    hit = make(admin_a, full_name="Zoe Clark", phone="+1 (555) 010-2000")
    make(admin_a, full_name="Other", phone="+15550109999")
    response = login(client, admin_a).get(LIST_URL, {"q": "+15550102000"})
    assert listed(response) == [hit.public_id]


def test_search_by_surrogate_number(client, world, admin_a):
    make(admin_a, full_name="First")
    second = make(admin_a, full_name="Second")
    response = login(client, admin_a).get(LIST_URL, {"q": second.surrogate_number})
    assert listed(response) == [second.public_id]


def test_sort_by_name_and_number(client, world, admin_a):
    b = make(admin_a, full_name="Bella")
    a = make(admin_a, full_name="Anna")
    c = make(admin_a, full_name="Cora")
    login(client, admin_a)
    assert listed(client.get(LIST_URL, {"sort": "name"})) == [a.public_id, b.public_id, c.public_id]
    assert listed(client.get(LIST_URL, {"sort": "-number"})) == [c.public_id, a.public_id, b.public_id]
    assert listed(client.get(LIST_URL, {"sort": "number"})) == [b.public_id, a.public_id, c.public_id]


def test_sort_by_stage_change_date(client, world, admin_a):
    old = make(admin_a, full_name="Old")
    new = make(admin_a, full_name="New")
    with org_scope(world.org_a):
        Surrogate.objects.filter(pk=old.pk).update(stage_changed_at=timezone.now() - timezone.timedelta(days=3))
    login(client, admin_a)
    assert listed(client.get(LIST_URL, {"sort": "stage_changed"})) == [old.public_id, new.public_id]
    assert listed(client.get(LIST_URL, {"sort": "-stage_changed"})) == [new.public_id, old.public_id]


def test_bad_parameters_are_ignored_not_a_server_error(client, world, admin_a):
    s = make(admin_a)
    response = login(client, admin_a).get(
        LIST_URL,
        {"stage": "nope", "owner": "999999", "source": "x", "priority": "x", "archived": "x",
         "sort": "password", "per_page": "-3", "page": "zzz"},
    )
    assert response.status_code == 200
    assert listed(response) == [s.public_id]
    assert response.context["page"].paginator.per_page == 25


def test_pagination_and_page_size_cap(client, world, admin_a):
    made = [make(admin_a, full_name=f"Person {i:02d}") for i in range(7)]
    login(client, admin_a)
    first = client.get(LIST_URL, {"per_page": 3, "sort": "number"})
    third = client.get(LIST_URL, {"per_page": 3, "sort": "number", "page": 3})
    assert listed(first) == [s.public_id for s in made[:3]]
    assert listed(third) == [made[6].public_id]
    assert 'rel="next"' in first.content.decode()
    assert "per_page=3" in first.content.decode()
    assert client.get(LIST_URL, {"per_page": 5000}).context["page"].paginator.per_page == 100


def _list_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, {"per_page": 100})
    assert response.status_code == 200
    return len(response.context["surrogates"]), len(captured.captured_queries)


def test_list_runs_a_constant_number_of_queries_whatever_the_page_size(client, world, admin_a):
    owners = [world.member(world.org_a, role).user for role in Role.values]
    for i in range(5):
        make(admin_a, full_name=f"Early {i}", owner=owners[i % 3])
    login(client, admin_a)
    rows_5, queries_5 = _list_queries(client)
    for i in range(45):
        make(admin_a, full_name=f"Later {i}", owner=owners[i % 3])
    rows_50, queries_50 = _list_queries(client)
    assert (rows_5, rows_50) == (5, 50)
    assert queries_5 == queries_50
    # Issue 9's budget: session, user, memberships, permissions, filter choices, rows + capped count.
    assert queries_50 <= 8
    print(f"list page queries: {queries_5} for 5 rows, {queries_50} for 50 rows")


def test_count_is_capped_and_next_stays_offered_past_the_cap(client, world, admin_a, monkeypatch):
    from surrogates import list_selectors

    monkeypatch.setattr(list_selectors, "COUNT_CAP", 3)
    made = [make(admin_a, full_name=f"Person {i:02d}") for i in range(9)]
    login(client, admin_a)
    first = client.get(LIST_URL, {"per_page": 1, "sort": "number"})
    assert "3+ surrogates" in first.content.decode()
    assert listed(first) == [made[0].public_id]
    # Page 6 is past the first cap: the cap grows with the page asked for, so Next is still there.
    sixth = client.get(LIST_URL, {"per_page": 1, "sort": "number", "page": 6})
    assert listed(sixth) == [made[5].public_id]
    assert 'rel="next"' in sixth.content.decode()
    last = client.get(LIST_URL, {"per_page": 1, "sort": "number", "page": 9})
    assert listed(last) == [made[8].public_id]
    assert 'rel="next"' not in last.content.decode()
    beyond = client.get(LIST_URL, {"per_page": 1, "sort": "number", "page": 50})
    assert beyond.status_code == 200 and listed(beyond) == [made[8].public_id]
    exact = client.get(LIST_URL, {"per_page": 25, "q": "Person 0"})
    assert "9 surrogates" in exact.content.decode()


def test_precomputed_row_strings_match_the_template_filters_in_the_org_time_zone(client, world, admin_a):
    """list_rows() prints what {% url %}, get_*_display and |date:"M j, Y" inside {% timezone %} printed."""
    import datetime

    from django.template.defaultfilters import date as date_filter

    org = admin_a.organization
    org.timezone = "Pacific/Auckland"
    org.save(update_fields=["timezone"])
    surrogate = make(admin_a, full_name="Ana Ruiz")
    late = datetime.datetime(2026, 2, 28, 12, 30, tzinfo=datetime.timezone.utc)  # Mar 1 in Auckland
    with org_scope(org):
        Surrogate.objects.filter(pk=surrogate.pk).update(created_at=late, stage_changed_at=late)
    login(client, admin_a)
    response = client.get(LIST_URL)
    row = response.context["surrogates"][0]
    with org_scope(org):
        fresh = Surrogate.objects.get(pk=surrogate.pk)
    with timezone.override("Pacific/Auckland"):
        expected = date_filter(timezone.template_localtime(late), "M j, Y")
    assert expected == "Mar 1, 2026"
    assert (row.list_created, row.list_stage_changed) == (expected, expected)
    assert row.list_url == reverse("surrogates:detail", args=[fresh.public_id])
    assert (row.list_source, row.list_priority) == (fresh.get_source_display(), fresh.get_priority_display())
    html = response.content.decode()
    assert f'<a href="{row.list_url}">Ana Ruiz</a>' in html
    assert f"<td>{expected}</td>" in html
