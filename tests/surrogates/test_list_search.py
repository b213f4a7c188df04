"""The list page's name search: scoped to the agency by its own index, literal, and paged by ids."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surrogates import list_selectors
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.scope import org_scope, unscoped
from tests.conftest import login
from tests.surrogates.test_views_list import admin_a, listed, make  # noqa: F401 (admin_a is a fixture)

pytestmark = pytest.mark.postgres

LIST_URL = reverse("surrogates:list")


def test_a_name_shared_with_another_agency_finds_only_our_record(client, world, admin_a):
    ours = make(admin_a, full_name="Maria Garcia")
    theirs = make(world.member(world.org_b, Role.ADMIN), full_name="Maria Garcia")
    response = login(client, admin_a).get(LIST_URL, {"q": "garcia"})
    assert listed(response) == [ours.public_id]
    assert str(theirs.public_id) not in response.content.decode()
    assert "1 surrogate" in response.content.decode()


def test_like_wildcards_in_the_search_are_literal(client, world, admin_a):
    underscore = make(admin_a, full_name="Ana_Lu Park")
    percent = make(admin_a, full_name="Zoe 100% Stone")
    backslash = make(admin_a, full_name="Back\\Slash Lee")
    make(admin_a, full_name="AnaXLu Park")
    make(admin_a, full_name="Zoe 1000 Stone")
    login(client, admin_a)
    assert listed(client.get(LIST_URL, {"q": "ana_lu"})) == [underscore.public_id]
    assert listed(client.get(LIST_URL, {"q": "100%"})) == [percent.public_id]
    assert listed(client.get(LIST_URL, {"q": "k\\s"})) == [backslash.public_id]
    assert listed(client.get(LIST_URL, {"q": "%"})) == [percent.public_id]


def test_search_keeps_the_members_visibility(client, world, admin_a):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    own = make(admin_a, full_name="Lena Hart", owner=intake.user)
    make(admin_a, full_name="Lena Hartley", owner=world.member(world.org_a, Role.CASE_MANAGER).user)
    make(admin_a, full_name="Lena Hartman")
    assert listed(login(client, intake).get(LIST_URL, {"q": "lena"})) == [own.public_id]


def _search_pages(client, **params):
    base = {"q": "match", "per_page": 3, "sort": "number", **params}
    return {page: client.get(LIST_URL, {**base, "page": page}) for page in (1, 2, 3, 99)}


def test_search_results_page_in_the_list_order_with_the_other_filters(client, world, admin_a):
    matches = [make(admin_a, full_name=f"Match {i}") for i in range(8)]
    for i in range(4):
        make(admin_a, full_name=f"Other {i}")
    with org_scope(world.org_a):
        Surrogate.objects.filter(pk=matches[3].pk).update(archived_at="2026-01-01T00:00:00Z")
    shown = [m.public_id for m in matches if m is not matches[3]]
    login(client, admin_a)
    pages = _search_pages(client)
    assert [listed(pages[n]) for n in (1, 2, 3)] == [shown[0:3], shown[3:6], shown[6:]]
    assert listed(pages[99]) == shown[6:]  # past the end: the last page, not an error
    assert 'rel="next"' in pages[2].content.decode() and 'rel="next"' not in pages[3].content.decode()
    assert "7 surrogates" in pages[1].content.decode()
    newest_first = client.get(LIST_URL, {"q": "MATCH", "per_page": 2})
    assert listed(newest_first) == [shown[-1], shown[-2]]
    assert listed(client.get(LIST_URL, {"q": "match", "archived": "archived"})) == [matches[3].public_id]


def test_search_count_is_capped_and_deep_pages_use_the_offset_query(client, world, admin_a, monkeypatch):
    matches = [make(admin_a, full_name=f"Match {i}") for i in range(9)]
    login(client, admin_a)
    monkeypatch.setattr(list_selectors, "COUNT_CAP", 3)
    first = client.get(LIST_URL, {"q": "match", "per_page": 1, "sort": "number"})
    assert "3+ surrogates" in first.content.decode()
    ranked = [listed(client.get(LIST_URL, {"q": "match", "per_page": 1, "sort": "number", "page": n})) for n in range(1, 10)]
    monkeypatch.setattr(list_selectors, "RANKED_IDS_MAX", 2)  # every page now takes the OFFSET path
    offset = [listed(client.get(LIST_URL, {"q": "match", "per_page": 1, "sort": "number", "page": n})) for n in range(1, 10)]
    assert ranked == offset == [[m.public_id] for m in matches]
    beyond = client.get(LIST_URL, {"q": "match", "per_page": 1, "sort": "number", "page": 50})
    assert beyond.status_code == 200 and listed(beyond) == [matches[-1].public_id]


def _search_queries(client, per_page):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, {"q": "match", "per_page": per_page})
    assert response.status_code == 200
    return len(response.context["surrogates"]), len(captured.captured_queries)


def test_search_runs_a_constant_number_of_queries_whatever_the_page_size(client, world, admin_a):
    for i in range(60):
        make(admin_a, full_name=f"Match {i}")
    login(client, admin_a)
    assert _search_queries(client, 5) == (5, _search_queries(client, 50)[1])
    rows, queries = _search_queries(client, 50)
    assert rows == 50 and queries <= 8  # issue 9's budget


def test_the_name_search_is_served_by_the_per_agency_trigram_index(world, admin_a):
    make(admin_a, full_name="Maria Garcia")
    with unscoped():  # the name condition alone, as the index sees it
        matching = Surrogate.objects.filter(list_selectors.OrgNameContains(world.org_a.pk, "garcia")).values("pk")
        assert list(matching) == [{"pk": Surrogate.objects.get(full_name="Maria Garcia").pk}]
        sql, params = matching.query.sql_with_params()
    with connection.cursor() as cursor:
        # Four test rows would be read sequentially; forbid that to see whether the index can
        # serve the expression at all (it must match migration 0009's exactly).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "surrogate_org_name_trgm" in plan, plan
    assert f"'{world.org_a.pk}|%GARCIA%'" in plan
