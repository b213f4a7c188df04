import datetime
import uuid

import pytest
from django.urls import reverse

from surrogates import services
from surrogates.models import Task
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def make_task(member, surrogate, title="Call back"):
    with org_scope(member.organization):
        return services.task_create(membership=member, surrogate=surrogate, title=title)


def refreshed(task):
    with org_scope(task.organization):
        return Task.objects.get(pk=task.pk)


def add_url(surrogate):
    return reverse("surrogates:task-add", args=[surrogate.public_id])


def toggle_url(surrogate, task):
    return reverse("surrogates:task-toggle", args=[surrogate.public_id, task.public_id])


def test_add_task(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    response = login(client, case).post(add_url(surrogate), {"title": "Order records", "due_date": "2030-01-15"})
    assert response.status_code == 302
    with org_scope(world.org_a):
        task = Task.objects.get()
    assert (task.title, task.due_date, task.surrogate_id, task.created_by) == (
        "Order records", datetime.date(2030, 1, 15), surrogate.pk, case.user,
    )


def test_task_without_title_or_with_bad_date_is_a_form_error(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    login(client, case)
    assert client.post(add_url(surrogate), {"title": "  "}).status_code == 400
    assert client.post(add_url(surrogate), {"title": "x", "due_date": "soon"}).status_code == 400
    with org_scope(world.org_a):
        assert not Task.objects.exists()


def test_complete_and_reopen(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    task = make_task(case, surrogate)
    login(client, case)
    assert client.post(toggle_url(surrogate, task), {"completed": "on"}).status_code == 302
    assert refreshed(task).completed_at is not None
    assert client.post(toggle_url(surrogate, task), {"completed": ""}).status_code == 302
    assert refreshed(task).completed_at is None
    client.post(toggle_url(surrogate, task))  # no explicit value: flip
    assert refreshed(task).completed_at is not None


def test_detail_page_offers_complete_then_reopen(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(case)
    task = make_task(case, surrogate)
    login(client, case)
    detail = reverse("surrogates:detail", args=[surrogate.public_id])
    assert ">Complete</button>" in client.get(detail).content.decode()
    client.post(toggle_url(surrogate, task), {"completed": "on"})
    assert ">Reopen</button>" in client.get(detail).content.decode()


def test_task_of_another_surrogate_in_the_url_is_404(client, world):
    case = world.member(world.org_a, Role.CASE_MANAGER)
    first, second = make(case, full_name="First"), make(case, full_name="Second")
    task = make_task(case, first)
    response = login(client, case).post(toggle_url(second, task), {"completed": "on"})
    assert response.status_code == 404
    assert refreshed(task).completed_at is None
    assert client.post(
        reverse("surrogates:task-toggle", args=[first.public_id, uuid.uuid4()]), {"completed": "on"}
    ).status_code == 404


@pytest.mark.parametrize("view", ["add", "toggle"])
def test_outsider_gets_404_and_nothing_changes(client, world, view):
    admin_b = world.member(world.org_b, Role.ADMIN)
    theirs = make(admin_b)
    task = make_task(admin_b, theirs)
    login(client, world.member(world.org_a, Role.ADMIN))
    if view == "add":
        response = client.post(add_url(theirs), {"title": "Injected"})
    else:
        response = client.post(toggle_url(theirs, task), {"completed": "on"})
    assert response.status_code == 404
    with org_scope(world.org_b):
        assert list(Task.objects.values_list("title", "completed_at")) == [("Call back", None)]


def test_intake_specialist_gets_404_for_another_owners_surrogate(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin, owner=admin.user)
    task = make_task(admin, surrogate)
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    assert client.post(toggle_url(surrogate, task), {"completed": "on"}).status_code == 404
    assert client.post(add_url(surrogate), {"title": "x"}).status_code == 404
    assert refreshed(task).completed_at is None
