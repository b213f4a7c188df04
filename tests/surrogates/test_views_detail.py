import datetime
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surrogates import services
from surrogates.models import Stage
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def detail_url(surrogate):
    return reverse("surrogates:detail", args=[surrogate.public_id])


def test_detail_shows_profile_stage_history_notes_tasks_and_activity(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(
        admin,
        full_name="Nora Lewis",
        email="nora.lewis@mail.example.com",
        phone="+15550107777",
        date_of_birth=datetime.date(1991, 4, 2),
    )
    with org_scope(world.org_a):
        services.surrogate_change_status(
            membership=admin, surrogate=surrogate, to_stage=Stage.objects.get(key="contacted")
        )
        services.note_add(membership=admin, surrogate=surrogate, body="<p>Prefers <strong>email</strong></p>")
        services.task_create(membership=admin, surrogate=surrogate, title="Send welcome pack")
    response = login(client, admin).get(detail_url(surrogate))
    assert response.status_code == 200
    html = response.content.decode()
    assert "nora.lewis@mail.example.com" in html and "+15550107777" in html and "Apr 2, 1991" in html
    assert 'data-testid="current-stage">Contacted<' in html
    history = list(response.context["history"])
    assert [change.kind for change in history] == ["change", "created"]
    assert "<p>Prefers <strong>email</strong></p>" in html  # sanitised HTML rendered as HTML
    assert "Send welcome pack" in html
    assert {event.action for event in response.context["activity"]} >= {
        "surrogate.created", "surrogate.stage_changed", "note.added", "task.created",
    }
    assert 'id="id_to_stage"' in html and 'id="id_reason"' in html and "Change stage" in html


def test_only_the_note_body_is_rendered_as_html(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin, full_name="<b>Bold</b> Name")
    with org_scope(world.org_a):
        services.note_add(membership=admin, surrogate=surrogate, body='<p>ok</p><script>alert(1)</script><img src=x onerror=alert(1)>')
    html = login(client, admin).get(detail_url(surrogate)).content.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; Name" in html
    assert "<script>alert(1)" not in html and "onerror" not in html
    assert "<script" not in html  # CSP: no inline scripts on the page at all


def test_outsider_gets_404(client, world):
    theirs = make(world.member(world.org_b, Role.ADMIN))
    response = login(client, world.member(world.org_a, Role.ADMIN)).get(detail_url(theirs))
    assert response.status_code == 404


def test_unknown_id_gets_404(client, world):
    login(client, world.member(world.org_a, Role.ADMIN))
    assert client.get(reverse("surrogates:detail", args=[uuid.uuid4()])).status_code == 404


def test_intake_specialist_gets_404_for_another_owners_surrogate(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    someone_elses = make(admin, owner=world.member(world.org_a, Role.CASE_MANAGER).user)
    own = make(admin, owner=intake.user, email="own@mail.example.com")
    login(client, intake)
    assert client.get(detail_url(someone_elses)).status_code == 404
    assert client.get(detail_url(own)).status_code == 200


def test_stage_choices_are_what_the_member_may_set_minus_the_current_stage(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(admin, owner=intake.user)
    response = login(client, intake).get(detail_url(surrogate))
    keys = {stage.key for stage in response.context["status_form"].fields["to_stage"].queryset}
    assert "new_unread" not in keys  # current stage
    assert {"contacted", "approved", "lost", "disqualified"} <= keys
    assert "ready_to_match" not in keys and "delivered" not in keys  # post-approval: case managers only


def test_detail_query_count_does_not_grow_with_history_notes_and_tasks(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    with org_scope(world.org_a):  # one of each first: a panel with no row at all skips its query
        services.note_add(membership=admin, surrogate=surrogate, body="first note")
        services.task_create(membership=admin, surrogate=surrogate, title="first task")
    login(client, admin)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(detail_url(surrogate)).status_code == 200
        return len(captured.captured_queries)

    before = count()
    with org_scope(world.org_a):
        for key in ("contacted", "qualified", "interview_scheduled"):
            services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=Stage.objects.get(key=key))
        for i in range(4):
            services.note_add(membership=admin, surrogate=surrogate, body=f"note {i}")
            services.task_create(membership=admin, surrogate=surrogate, title=f"task {i}")
    assert count() == before
