import pytest
from django.urls import reverse

from surrogates import services
from surrogates.models import Note, Stage, Surrogate, Task
from tenants.models import ActivityEvent, Role
from tenants.scope import org_scope
from tests.conftest import login

pytestmark = pytest.mark.postgres


def make(member, **kwargs):
    kwargs.setdefault("full_name", "Jane Doe")
    with org_scope(member.organization):
        return services.surrogate_create(membership=member, **kwargs)


def refreshed(obj):
    with org_scope(obj.organization):
        return type(obj).objects.get(pk=obj.pk)


@pytest.fixture
def admin_a(world):
    return world.member(world.org_a, Role.ADMIN)


def test_changelists_render_for_an_org_admin(client, world, admin_a):
    intake = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    surrogate = make(admin_a, email="jane@mail.example.com", owner=intake.user)
    with org_scope(world.org_a):
        services.note_add(membership=admin_a, surrogate=surrogate, body="<p>hi</p>")
        services.task_create(membership=admin_a, surrogate=surrogate, title="Call")
        services.surrogate_change_status(membership=admin_a, surrogate=surrogate, to_stage=Stage.objects.get(key="qualified"))
        services.surrogate_change_status(
            membership=intake, surrogate=surrogate, to_stage=Stage.objects.get(key="contacted"), reason="back"
        )
    login(client, admin_a)
    for model in ("stage", "surrogate", "statuschangerequest", "note", "task"):
        response = client.get(reverse(f"admin:surrogates_{model}_changelist"))
        assert response.status_code == 200, model
        assert response.context["cl"].result_count >= 1, model
        assert "jane@mail.example.com" not in response.content.decode()


def test_surrogate_changelist_shows_only_this_org_and_no_pii_besides_the_name(client, world, admin_a):
    mine = make(admin_a, full_name="Mine Person", email="mine@mail.example.com", phone="+15550101234")
    theirs = make(world.member(world.org_b, Role.ADMIN), full_name="Theirs Person")
    response = login(client, admin_a).get(reverse("admin:surrogates_surrogate_changelist"))
    html = response.content.decode()
    assert "Mine Person" in html and mine.surrogate_number in html
    assert "Theirs Person" not in html
    assert "mine@mail.example.com" not in html and "+15550101234" not in html
    assert list(response.context["cl"].result_list) == [mine]
    assert theirs.pk not in [s.pk for s in response.context["cl"].result_list]


def test_surrogate_is_view_only_in_admin_and_a_forged_post_changes_nothing(client, world, admin_a):
    surrogate = make(admin_a, email="jane@mail.example.com", phone="+15550101234")
    login(client, admin_a)
    url = reverse("admin:surrogates_surrogate_change", args=[surrogate.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert set(page.context["adminform"].form.fields) == set()  # everything read-only
    html = page.content.decode()
    assert "jane@mail.example.com" not in html and "+15550101234" not in html
    response = client.post(
        url,
        {"full_name": "Renamed", "source": "website", "priority": "high", "owner": "", "stage": "999",
         "email": "x@y.z", "organization": str(world.org_b.pk)},
    )
    assert response.status_code == 403
    after = refreshed(surrogate)
    assert (after.full_name, after.source, after.email) == (surrogate.full_name, surrogate.source, "jane@mail.example.com")


def test_records_and_their_history_cannot_be_deleted_in_admin(client, world, admin_a):
    surrogate = make(admin_a)
    with org_scope(world.org_a):
        note = services.note_add(membership=admin_a, surrogate=surrogate, body="<p>hi</p>")
    login(client, admin_a)
    for name, pk in (("surrogate", surrogate.pk), ("note", note.pk)):
        url = reverse(f"admin:surrogates_{name}_delete", args=[pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"post": "yes"}).status_code == 403
    assert refreshed(note).body_html == "<p>hi</p>"
    changelist = reverse("admin:surrogates_surrogate_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [surrogate.pk], "post": "yes"})
    assert refreshed(surrogate).pk == surrogate.pk


def test_stage_changes_in_admin_are_audited_without_values(client, world, admin_a):
    with org_scope(world.org_a):
        stage = Stage.objects.get(key="contacted")
    login(client, admin_a)
    url = reverse("admin:surrogates_stage_change", args=[stage.pk])
    response = client.post(url, {"key": "contacted", "label": "Reached", "order": stage.order, "stage_type": "intake", "is_active": "on"})
    assert response.status_code == 302
    with org_scope(world.org_a):
        event = ActivityEvent.objects.filter(action="admin.changed", target_type="surrogates.stage").get()
    assert event.actor == admin_a.user and event.data == {"fields": ["label"]}


def test_two_stages_cannot_share_an_order(client, world, admin_a):
    login(client, admin_a)
    response = client.post(
        reverse("admin:surrogates_stage_add"), {"key": "dup", "label": "Dup", "order": 1, "stage_type": "intake", "is_active": "on"}
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    with org_scope(world.org_a):
        assert not Stage.objects.filter(key="dup").exists()


def test_another_orgs_surrogate_is_invisible_and_a_forged_post_changes_nothing(client, world, admin_a):
    theirs = make(world.member(world.org_b, Role.ADMIN), full_name="Theirs Person")
    login(client, admin_a)
    url = reverse("admin:surrogates_surrogate_change", args=[theirs.pk])
    response = client.get(url)
    assert response.status_code == 302 and "Theirs Person" not in response.content.decode()
    client.post(url, {"full_name": "Hijacked", "source": "manual", "priority": "normal", "owner": ""})
    assert refreshed(theirs).full_name == "Theirs Person"


def test_surrogates_cannot_be_added_in_admin(client, world, admin_a):
    response = login(client, admin_a).get(reverse("admin:surrogates_surrogate_add"))
    assert response.status_code == 403


def test_notes_are_read_only_in_admin(client, world, admin_a):
    surrogate = make(admin_a)
    with org_scope(world.org_a):
        note = services.note_add(membership=admin_a, surrogate=surrogate, body="<p>hi</p>")
    login(client, admin_a)
    client.post(reverse("admin:surrogates_note_change", args=[note.pk]), {"body_html": "<script>x</script>"})
    assert refreshed(note).body_html == "<p>hi</p>"


def test_tasks_cannot_be_added_in_admin(client, world, admin_a):
    mine = make(admin_a)
    login(client, admin_a)
    response = client.post(reverse("admin:surrogates_task_add"), {"surrogate": mine.pk, "title": "Call"})
    assert response.status_code == 403
    with org_scope(world.org_a):
        assert not Task.objects.exists()


def test_case_manager_cannot_use_the_admin(client, world):
    response = login(client, world.member(world.org_a, Role.CASE_MANAGER)).get(
        reverse("admin:surrogates_surrogate_changelist")
    )
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_stage_list_is_this_orgs_pipeline(client, world, admin_a):
    response = login(client, admin_a).get(reverse("admin:surrogates_stage_changelist"))
    with org_scope(world.org_a):
        mine = set(Stage.objects.values_list("pk", flat=True))
    assert {stage.pk for stage in response.context["cl"].result_list} <= mine
    assert response.context["cl"].result_count == len(mine)
    with org_scope(world.org_a):
        assert not Note.objects.exists() and Surrogate.objects.count() == 0
