"""The detail page's statements: bounded, the same for one row or many in every panel, none for
a panel with nothing in it, and the selects read once render what the forms would."""
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from forms_public import demo as forms_demo
from forms_public import services as forms_services
from messaging.models import EmailLog
from surrogates import services
from surrogates.forms import AssignForm, StatusChangeForm
from surrogates.models import Queue, Stage
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres

# One view of a record with notes, tasks, history, a pending request, application links and
# emails, as the tests run it: 5 for the signed-in member (session user, MFA device, membership,
# role and member permissions), the record with its panel flags, the audit link (1, plus
# SAVEPOINT/RELEASE inside the test's transaction), the selects' stages, members and queues (one
# UNION ALL), published forms, and one per filled panel (history, activity, notes, tasks, pending
# requests, links, emails). A record with one note and one task took 27 before the page was trimmed.
MAX_STATEMENTS = 18
PANEL_TABLES = (
    "surrogates_note", "surrogates_task", "surrogates_statuschangerequest", "matching_match",
    "forms_public_applicationlink", "forms_public_submission", "forms_public_upload",
    "messaging_emaillog", "zoom_zoommeeting",
)


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def detail(client, surrogate):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("surrogates:detail", args=[surrogate.public_id]))
    assert response.status_code == 200
    return response, [q["sql"] for q in captured.captured_queries]


def reads_from(statements, table):
    """Statements that read `table` itself (not the record's EXISTS probes of it)."""
    own_read = re.compile(rf'^(?:DECLARE .*? FOR )?SELECT (?:COUNT\(\*\) AS "__count"|[^(]*?) FROM "{table}"')
    return [sql for sql in statements if own_read.match(sql)]


def add_rows(admin, requester, surrogate, n):
    stages = {stage.key: stage for stage in Stage.objects.all()}
    form = forms_demo.seed_form(organization=admin.organization, admin=admin)
    for i in range(n):
        services.note_add(membership=admin, surrogate=surrogate, body=f"note {i}")
        services.task_create(membership=admin, surrogate=surrogate, title=f"task {i}")
        forms_services.link_issue(membership=admin, surrogate=surrogate, form=form, days=3)
        EmailLog.objects.create(
            organization=admin.organization, surrogate=surrogate, idempotency_key=f"k-{uuid.uuid4()}",
            state=EmailLog.State.SENT, to_email="x@mail.example.com", to_hash="h" * 64, subject=f"Hello {i}",
            body_html="<p>hi</p>", message_id=f"<{uuid.uuid4()}@mail.example.com>",
        )
    # Stage history: forward moves by the admin, then a move back asked by the owner (an intake
    # specialist), which waits for approval in the pending-requests panel.
    first = surrogate.stage.key == "new_unread"
    for key in ("contacted", "qualified") if first else ("interview_scheduled", "approved"):
        services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=stages[key])
        surrogate.refresh_from_db()
    services.surrogate_change_status(
        membership=requester, surrogate=surrogate, to_stage=stages["contacted" if first else "qualified"], reason="Back"
    )


def test_statements_are_bounded_and_do_not_grow_with_the_rows_in_each_panel(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(admin, owner=intake.user)
    with org_scope(world.org_a):
        add_rows(admin, intake, surrogate, 1)
    login(client, admin)
    detail(client, surrogate)  # first use: templates, content types
    response, one_each = detail(client, surrogate)
    assert "note 0" in response.content.decode() and "Hello 0" in response.content.decode()
    with org_scope(world.org_a):
        add_rows(admin, intake, surrogate, 6)
    response, many = detail(client, surrogate)
    html = response.content.decode()
    assert all(f"note {i}" in html and f"task {i}" in html and f"Hello {i}" in html for i in range(6))
    assert len(response.context["history"]) >= 4 and len(response.context["pending_requests"]) >= 1
    assert len(many) == len(one_each) <= MAX_STATEMENTS, "\n".join(many)


def test_panels_with_nothing_in_them_are_not_queried(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    login(client, admin)
    response, statements = detail(client, surrogate)
    for table in PANEL_TABLES:
        assert reads_from(statements, table) == [], table
    html = response.content.decode()
    assert "No notes yet." in html and "No tasks." in html and "No emails yet." in html and "No files." in html
    assert 'id="pending-requests"' not in html
    # The record's own read carries the probes: one statement for all the panels.
    record = [sql for sql in statements if re.match(r'^SELECT .* FROM "surrogates_surrogate"', sql)]
    assert len(record) == 1 and record[0].count("EXISTS") >= len(PANEL_TABLES) - 1  # zoom may be absent


def test_a_panel_that_was_empty_shows_its_first_row_on_the_next_view(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    login(client, admin)
    assert "No notes yet." in detail(client, surrogate)[0].content.decode()
    with org_scope(world.org_a):
        services.note_add(membership=admin, surrogate=surrogate, body="<p>Now there is one</p>")
        services.task_create(membership=admin, surrogate=surrogate, title="And a task")
    html = detail(client, surrogate)[0].content.decode()
    assert "<p>Now there is one</p>" in html and "And a task" in html and "No notes yet." not in html


def test_the_flags_never_leak_another_organizations_rows(client, world):
    admin_a, admin_b = world.member(world.org_a, Role.ADMIN), world.member(world.org_b, Role.ADMIN)
    ours, theirs = make(admin_a), make(admin_b)
    with org_scope(world.org_b):
        services.note_add(membership=admin_b, surrogate=theirs, body="B's private note")
    login(client, admin_a)
    response, statements = detail(client, ours)
    assert "B's private note" not in response.content.decode()
    assert reads_from(statements, "surrogates_note") == []
    assert client.get(reverse("surrogates:detail", args=[theirs.public_id])).status_code == 404


def test_stage_and_release_selects_render_the_options_the_forms_would(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    case = world.member(world.org_a, Role.CASE_MANAGER)
    surrogate = make(admin, owner=case.user)
    with org_scope(world.org_a):
        Queue.objects.create(organization=world.org_a, name="Zeta follow-up")
        Queue.objects.create(organization=world.org_a, name="Alpha intake")
        expected_stage_select = str(StatusChangeForm(membership=admin, surrogate=surrogate)["to_stage"])
        queues = list(Queue.objects.filter(organization_id=world.org_a.pk).order_by("name"))
    login(client, admin)
    response, statements = detail(client, surrogate)
    html = response.content.decode()
    assert expected_stage_select in html
    release = re.search(r'<select name="queue" id="id_release_queue">(.*?)</select>', html).group(1)
    assert release == '<option value="">Unassigned</option>' + "".join(
        f'<option value="{queue.public_id}">{queue.name}</option>' for queue in queues
    )
    # Stages, members and queues of the three selects: one UNION ALL, no read of its own.
    unions = [sql for sql in statements if sql.startswith("(SELECT 'stage'")]
    assert len(unions) == 1 and '"surrogates_queue"' in unions[0] and '"tenants_user"' in unions[0]
    assert reads_from(statements, "surrogates_queue") == reads_from(statements, "surrogates_stage") == []
    assert len(reads_from(statements, "forms_public_form")) <= 1


def test_an_archived_record_reads_no_stage_options(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    with org_scope(world.org_a):
        services.surrogate_archive(membership=admin, surrogate=surrogate)
    login(client, admin)
    response, statements = detail(client, surrogate)
    assert "Restore this surrogate to change its stage." in response.content.decode()
    assert reads_from(statements, "surrogates_stage") == []
    assert not any(sql.startswith("(SELECT 'stage'") for sql in statements)


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', 'name="csrfmiddlewaretoken" value=""', html)


def test_memoized_form_markup_is_what_the_template_renders_in_place(client, world, monkeypatch):
    import forms_public.templatetags.forms_public as forms_tags
    import surrogates.views as views

    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    with org_scope(world.org_a):
        forms_demo.seed_form(organization=world.org_a, admin=admin)  # the link form's select shows
    login(client, admin)
    memoized = _without_csrf(detail(client, surrogate)[0].content.decode())
    monkeypatch.setattr(views, "unbound_fields_html", lambda form: None)
    monkeypatch.setattr(forms_tags, "unbound_fields_html", lambda form: None)
    in_place = _without_csrf(detail(client, surrogate)[0].content.decode())
    assert 'id="id_to_stage"' in memoized and 'id="id_body"' in memoized and 'id="id_title"' in memoized
    assert 'data-testid="link-form"' in memoized and 'type="file"' in memoized
    assert memoized == in_place


def test_a_renamed_stage_shows_on_the_next_view_and_only_in_its_organization(client, world):
    admin_a, admin_b = world.member(world.org_a, Role.ADMIN), world.member(world.org_b, Role.ADMIN)
    ours, theirs = make(admin_a), make(admin_b)
    login(client, admin_a)
    assert ">Contacted</option>" in detail(client, ours)[0].content.decode()
    with org_scope(world.org_a):
        Stage.objects.filter(key="contacted").update(label="Reached by phone")
    html_a = detail(client, ours)[0].content.decode()
    assert ">Reached by phone</option>" in html_a and ">Contacted</option>" not in html_a
    login(client, admin_b)
    html_b = detail(client, theirs)[0].content.decode()
    assert ">Contacted</option>" in html_b and "Reached by phone" not in html_b


def test_a_form_with_errors_is_rendered_with_them(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    surrogate = make(admin)
    login(client, admin)
    response = client.post(reverse("surrogates:note-add", args=[surrogate.public_id]), {"body": ""})
    assert response.status_code == 400
    assert 'class="field has-error"' in response.content.decode()


def test_selects_follow_the_member_and_queue_order_and_the_role(client, world):
    admin = world.member(world.org_a, Role.ADMIN)
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(admin, owner=intake.user)
    with org_scope(world.org_a):
        Queue.objects.create(organization=world.org_a, name="Middle queue")
        expected_target = str(AssignForm(membership=admin)["target"])
    login(client, admin)
    assert expected_target in detail(client, surrogate)[0].content.decode()
    login(client, intake)  # no assign select for this role: members are not read
    response, statements = detail(client, surrogate)
    assert response.context["assign_form"] is None
    union = [sql for sql in statements if sql.startswith("(SELECT 'stage'")][0]
    assert '"tenants_user"' not in union
