"""/admin/ for an org admin shows and changes only their organization, whatever the request says."""
import pytest
from django.apps import apps
from django.urls import reverse

from surrogates import services
from surrogates.models import Stage, Surrogate, Task
from tenants.admin_site import admin_site
from tenants.models import ActivityEvent, MemberPermission, Membership, Organization, Role, RolePermission, User
from tenants.scope import org_scope, unscoped
from tests.conftest import login, login_user

pytestmark = pytest.mark.postgres


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def data(world):
    out = {}
    for key, org in (("a", world.org_a), ("b", world.org_b)):
        with org_scope(org):
            admin = world.member(org, Role.ADMIN)
            surrogate = services.surrogate_create(membership=admin, full_name=f"Zed Person{key.upper()}")
            out[key] = {
                "surrogate": surrogate,
                "task": services.task_create(membership=admin, surrogate=surrogate, title=f"Task of {key}"),
                "role_permission": RolePermission.objects.create(
                    role=Role.INTAKE_SPECIALIST, permission="surrogates.view_all", allowed=True
                ),
                "member_permission": MemberPermission.objects.create(
                    membership=world.member(org, Role.CASE_MANAGER), permission="surrogates.add_note", effect="grant"
                ),
                "stage": Stage.objects.get(key="qualified"),
            }
    return out


@pytest.fixture
def admin_a(client, world):
    return login(client, world.member(world.org_a, Role.ADMIN))


def _b_snapshot(world):
    """Every org B row of every tenant model, as plain values."""
    snapshot = {}
    with org_scope(world.org_b):
        for model in apps.get_models():
            if hasattr(model, "tenant_constraints") and model._meta.concrete_model is model:
                snapshot[model._meta.label] = sorted(map(repr, model.objects.values()), key=str)
    snapshot["org"] = list(Organization.objects.filter(pk=world.org_b.pk).values())
    return snapshot


# --- Changelists -------------------------------------------------------------------------


def _scoped_admin_models():
    return [model for model, model_admin in admin_site._registry.items() if hasattr(model, "tenant_constraints")]


def test_every_tenant_changelist_lists_only_org_a_rows(admin_a, world, data):
    models = _scoped_admin_models()
    assert {Membership, ActivityEvent, RolePermission, MemberPermission} <= set(models)
    for model in models:
        response = admin_a.get(admin_url(model))
        assert response.status_code == 200, model
        rows = list(response.context["cl"].result_list)
        assert all(row.organization_id == world.org_a.pk for row in rows), model
        with org_scope(world.org_a):
            assert response.context["cl"].result_count == model.objects.count(), model


def test_membership_and_activity_changelists_do_not_show_org_b(admin_a, world, data):
    body = admin_a.get(admin_url(Membership)).content.decode()
    assert "admin@agency-a.test" in body
    assert "agency-b.test" not in body
    activity = admin_a.get(admin_url(ActivityEvent))
    assert {e.organization_id for e in activity.context["cl"].result_list} == {world.org_a.pk}


def test_surrogate_changelist_if_registered(admin_a, data):
    if Surrogate not in admin_site._registry:
        pytest.skip("Surrogate is not registered in the admin")
    body = admin_a.get(admin_url(Surrogate)).content.decode()
    assert "Zed PersonA" in body and "Zed PersonB" not in body


@pytest.mark.parametrize(
    "query",
    [
        "organization__id__exact={b}",
        "organization={b}",
        "organization_id={b}",
        "organization__slug=agency-b",
        "organization__id__in={a},{b}",
    ],
)
def test_query_string_filter_for_org_b_shows_nothing(admin_a, world, data, query):
    for model in (Membership, ActivityEvent, RolePermission):
        response = admin_a.get(admin_url(model) + "?" + query.format(a=world.org_a.pk, b=world.org_b.pk))
        if response.status_code == 200:
            assert all(r.organization_id == world.org_a.pk for r in response.context["cl"].result_list)
            assert "agency-b" not in response.content.decode()
        else:
            assert response.status_code in (302, 400), (model, query)
            if response.status_code == 302:
                assert "e=1" in response["Location"]  # the admin's "invalid filter" redirect


def test_pk_filter_for_org_b_rows_shows_nothing(admin_a, world, data):
    b_pk = data["b"]["role_permission"].pk
    response = admin_a.get(admin_url(RolePermission) + f"?id__exact={b_pk}")
    assert response.status_code in (200, 302, 400)
    if response.status_code == 200:
        assert list(response.context["cl"].result_list) == []


def test_search_does_not_reach_org_b(admin_a, world, data):
    response = admin_a.get(admin_url(Membership) + "?q=agency-b")
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


# --- Change pages ------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["role_permission", "member_permission", "task", "surrogate", "stage"])
def test_change_page_of_org_b_object_does_not_exist(admin_a, data, key):
    obj = data["b"][key]
    if type(obj) not in admin_site._registry:
        pytest.skip(f"{type(obj).__name__} is not registered in the admin")
    response = admin_a.get(admin_url(type(obj), "change", obj.pk), follow=True)
    assert response.redirect_chain or response.status_code == 404
    assert response.status_code in (200, 404)
    body = response.content.decode()
    if response.redirect_chain:
        assert "doesn’t exist" in body or "doesn't exist" in body
    assert "PersonB" not in body and "Task of b" not in body
    # The history and delete pages of B's object are refused too.
    for view in ("history", "delete"):
        other = admin_a.get(admin_url(type(obj), view, obj.pk))
        # 403 only where the model is view-only for everyone: it says nothing about the object.
        assert other.status_code in (302, 403, 404), view
        if other.status_code == 403:
            assert not admin_site._registry[type(obj)].has_delete_permission(other.wsgi_request)
        assert "PersonB" not in other.content.decode()


def test_org_a_change_page_works(admin_a, data):
    obj = data["a"]["role_permission"]
    assert admin_a.get(admin_url(RolePermission, "change", obj.pk)).status_code == 200


def test_fk_choices_in_forms_exclude_org_b(admin_a, world, data):
    # MemberPermission uses a raw id widget for membership; Task for surrogate; Surrogate has owner/stage.
    response = admin_a.get(admin_url(Membership, "add"))
    assert response.status_code == 200
    user_choices = {str(value) for value, _ in response.context["adminform"].form.fields["user"].choices if value}
    b_users = {str(m.user_id) for (slug, _), m in world.members.items() if slug == "agency-b"}
    assert user_choices and not (user_choices & b_users)
    if Surrogate in admin_site._registry:
        page = admin_a.get(admin_url(Surrogate, "change", data["a"]["surrogate"].pk))
        form = page.context["adminform"].form
        if "owner" in form.fields:
            owners = {str(value) for value, _ in form.fields["owner"].choices if value}
            assert not (owners & b_users)
        body = page.content.decode()
        assert "agency-b.test" not in body


def test_forged_fk_to_org_b_membership_is_rejected(admin_a, world, data):
    before = _b_snapshot(world)
    response = admin_a.post(
        admin_url(MemberPermission, "add"),
        {"membership": world.member(world.org_b, Role.CASE_MANAGER).pk, "permission": "surrogates.view_all", "effect": "grant"},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.get("membership")
    assert _b_snapshot(world) == before


def test_forged_organization_in_add_post_lands_in_org_a(admin_a, world, data):
    before = _b_snapshot(world)
    response = admin_a.post(
        admin_url(RolePermission, "add"),
        {"organization": world.org_b.pk, "role": "case_manager", "permission": "surrogates.archive", "allowed": "on"},
    )
    assert response.status_code == 302
    with unscoped():
        created = RolePermission.objects.get(permission="surrogates.archive", role="case_manager")
    assert created.organization_id == world.org_a.pk
    assert _b_snapshot(world) == before


def test_forged_membership_add_never_lands_in_org_b(admin_a, world, data):
    before = _b_snapshot(world)
    b_only_user = world.member(world.org_b, Role.CASE_MANAGER).user
    a_user = world.member(world.org_a, Role.CASE_MANAGER).user
    for user in (b_only_user, a_user):
        response = admin_a.post(
            admin_url(Membership, "add"),
            {"organization": world.org_b.pk, "organization_id": world.org_b.pk, "user": user.pk, "role": "admin", "is_active": "on"},
        )
        # Either refused with a form error, or created in org A: never a server error, never in B.
        assert response.status_code in (200, 302)
        if response.status_code == 200:
            assert response.context["adminform"].form.errors
    assert _b_snapshot(world) == before
    with unscoped():
        assert not Membership.objects.filter(organization=world.org_b, user=a_user).exists()
        assert Membership.objects.get(organization=world.org_a, user=a_user).role == Role.CASE_MANAGER


def test_forged_post_editing_org_b_object_changes_nothing(admin_a, world, data):
    before = _b_snapshot(world)
    target = data["b"]["role_permission"]
    response = admin_a.post(
        admin_url(RolePermission, "change", target.pk),
        {"role": "admin", "permission": "surrogates.hijacked", "allowed": ""},
    )
    assert response.status_code in (302, 404)
    membership_b = world.member(world.org_b, Role.CASE_MANAGER)
    response = admin_a.post(admin_url(Membership, "change", membership_b.pk), {"role": "admin", "is_active": ""})
    assert response.status_code in (302, 404)
    response = admin_a.post(admin_url(RolePermission, "delete", target.pk), {"post": "yes"})
    assert response.status_code in (302, 404)
    response = admin_a.post(
        admin_url(RolePermission),
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    )
    assert response.status_code in (200, 302)
    assert _b_snapshot(world) == before


def test_organization_admin_shows_only_own_org(admin_a, world, data):
    response = admin_a.get(admin_url(Organization))
    assert [o.pk for o in response.context["cl"].result_list] == [world.org_a.pk]
    assert "Agency B" not in response.content.decode()
    other = admin_a.get(admin_url(Organization, "change", world.org_b.pk), follow=True)
    assert "Agency B" not in other.content.decode().replace("Agency A", "")
    before = _b_snapshot(world)
    admin_a.post(admin_url(Organization, "change", world.org_b.pk), {"name": "Hijacked", "timezone": "UTC"})
    assert _b_snapshot(world) == before


def test_org_admin_cannot_manage_users(admin_a, world):
    assert admin_a.get(admin_url(User)).status_code == 403
    b_user = world.member(world.org_b, Role.ADMIN).user
    assert admin_a.get(admin_url(User, "change", b_user.pk)).status_code in (302, 403, 404)


@pytest.mark.parametrize("role", [Role.INTAKE_SPECIALIST, Role.CASE_MANAGER])
def test_non_admin_roles_get_no_admin_access(client, world, data, role):
    login(client, world.member(world.org_a, role))
    for url in ("/admin/", admin_url(Membership), admin_url(RolePermission, "change", data["a"]["role_permission"].pk)):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"]
    response = client.post(admin_url(RolePermission, "add"), {"role": "admin", "permission": "x.y", "allowed": "on"})
    assert response.status_code in (302, 403)
    with unscoped():
        assert not RolePermission.objects.filter(permission="x.y").exists()


def test_revoked_org_manage_permission_loses_admin(client, world, data):
    membership = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        MemberPermission.objects.create(membership=membership, permission="org.manage", effect="revoke")
    login(client, membership)
    assert client.get(admin_url(Membership)).status_code == 302


def test_superuser_sees_every_org(client, world, data):
    operator = User.objects.create_superuser(email="ops@platform.test", password="x-very-long-password-1")
    login_user(client, operator)
    response = client.get(admin_url(Membership))
    assert response.status_code == 200
    orgs = {m.organization_id for m in response.context["cl"].result_list}
    assert orgs == {world.org_a.pk, world.org_b.pk}
    response = client.get(admin_url(Organization))
    assert {o.pk for o in response.context["cl"].result_list} >= {world.org_a.pk, world.org_b.pk}
    assert client.get(admin_url(RolePermission, "change", data["b"]["role_permission"].pk)).status_code == 200


def test_permission_override_must_name_a_real_permission(admin_a, world, data):
    response = admin_a.post(
        admin_url(RolePermission, "add"), {"role": "intake_specialist", "permission": "view_all_surrogates", "allowed": "on"}
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors.get("permission")
    with unscoped():
        assert not RolePermission.objects.filter(permission="view_all_surrogates").exists()
