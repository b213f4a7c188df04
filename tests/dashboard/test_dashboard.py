"""The dashboard at `/`: what it shows, to whom, and a query count that does not grow with data."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surrogates import services
from surrogates.models import Stage
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login
from tests.matching.helpers import parent, proposed, ready_surrogate

pytestmark = pytest.mark.django_db


def add_records(world, org, count, start=0):
    admin = world.member(org, Role.ADMIN)
    case = world.member(org, Role.CASE_MANAGER)
    today = datetime.date.today()
    with org_scope(org):
        stages = list(Stage.objects.filter(stage_type="intake").order_by("order"))
        for index in range(start, start + count):
            surrogate = services.surrogate_create(
                membership=admin, full_name=f"Dash {index}", owner=case.user, stage=stages[index % len(stages)]
            )
            services.task_create(
                membership=case, surrogate=surrogate, title=f"Call {index}",
                due_date=today + datetime.timedelta(days=(index % 10) - 3),
            )


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), response


def test_anonymous_visitors_go_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_dashboard_shows_funnel_tasks_leads_and_approvals(client, world):
    add_records(world, world.org_a, 6)
    proposed(world, world.org_a)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    _, response = queries(login(client, case), "/")
    page = response.content.decode()
    assert "<svg" in page and 'data-stage="new_unread"' in page and "<script" not in page.split("</header>")[1]
    assert 'data-testid="overdue-tasks"' in page and "Call 0" in page  # due three days ago
    assert 'data-testid="new-leads-count">' in page
    assert 'id="approvals"' not in page  # case managers do not approve
    login(client, world.member(world.org_a, Role.ADMIN))
    assert 'id="approvals"' in client.get("/").content.decode()


def test_intake_dashboard_counts_only_their_records(client, world):
    add_records(world, world.org_a, 4)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    with org_scope(world.org_a):
        services.surrogate_create(membership=intake, full_name="Mine Only")
    _, response = queries(login(client, intake), "/")
    page = response.content.decode()
    assert 'data-testid="new-leads-count">1<' in page
    assert "Dash 1" not in page


@pytest.mark.parametrize("url,role", [("/", Role.ADMIN), ("/", Role.CASE_MANAGER), ("/surrogates/", Role.ADMIN), ("/matches/", Role.ADMIN), ("/matches/parents/", Role.ADMIN)])
def test_query_count_does_not_grow_with_data(client, world, url, role):
    login(client, world.member(world.org_a, role))
    add_records(world, world.org_a, 3)
    proposed(world, world.org_a)
    queries(client, url)  # warm up (session, caches)
    small, _ = queries(client, url)
    add_records(world, world.org_a, 20, start=3)
    for index in range(4):
        proposed(world, world.org_a, surrogate=ready_surrogate(world, world.org_a, name=f"R{index}"), ip=parent(world, world.org_a, name=f"P{index}"))
    large, _ = queries(client, url)
    assert small == large, f"{url}: {small} queries with little data, {large} with more"
    print(f"QUERY COUNT {url} as {role}: {large}")
