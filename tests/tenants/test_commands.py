"""Ops commands: create_org, create_user, seed_demo (idempotent, with a JSON manifest contract)."""
import io
import json
import uuid

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from surrogates.models import Note, Stage, StatusChange, StatusChangeRequest, Surrogate, Task
from tenants.models import ActivityEvent, Membership, Organization, Role, User
from tenants.scope import ScopeError, current_org, org_scope, unscoped

pytestmark = pytest.mark.postgres


def run(*args, **kwargs):
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **kwargs)
    return out.getvalue()


# --- create_org ------------------------------------------------------------------------------


def test_create_org_installs_the_default_pipeline(db):
    output = run("create_org", "Harbor Test Agency", "--slug", "harbor-test", "--timezone", "America/Chicago")
    assert "harbor-test" in output
    org = Organization.objects.get(slug="harbor-test")
    assert (org.name, org.timezone) == ("Harbor Test Agency", "America/Chicago")
    with org_scope(org):
        keys = list(Stage.objects.order_by("order").values_list("key", flat=True))
    assert keys[0] == "new_unread" and "delivered" in keys and keys[-1] == "disqualified" and len(keys) == 19
    assert current_org() is None


def test_create_org_slug_defaults_from_name(db):
    run("create_org", "Blue Sky Families")
    assert Organization.objects.filter(slug="blue-sky-families").exists()


def test_create_org_duplicate_slug_is_refused(db):
    run("create_org", "First", "--slug", "dup")
    with pytest.raises(CommandError, match="already exists"):
        run("create_org", "Second", "--slug", "dup")
    assert Organization.objects.filter(slug="dup").count() == 1


def test_create_org_bad_timezone_is_refused(db):
    with pytest.raises(CommandError, match="time zone"):
        run("create_org", "Nowhere", "--slug", "nowhere", "--timezone", "Mars/Olympus_Mons")
    assert not Organization.objects.filter(slug="nowhere").exists()


# --- create_user -----------------------------------------------------------------------------


def test_create_user_with_role(world):
    output = run("create_user", "--org", "agency-a", "--email", "New.Person@Agency-A.test", "--role", "case_manager",
                 "--password", "a-long-and-unusual-passphrase-42")
    assert "case_manager" in output
    user = User.objects.get(email="new.person@agency-a.test")
    with unscoped():
        memberships = list(Membership.objects.filter(user=user).values_list("organization__slug", "role", "is_active"))
    assert memberships == [("agency-a", "case_manager", True)]
    assert authenticate(username="new.person@agency-a.test", password="a-long-and-unusual-passphrase-42") == user
    assert current_org() is None


def test_create_user_generated_password_works(world):
    output = run("create_user", "--org", "agency-b", "--email", "gen@agency-b.test", "--role", "admin",
                 "--generate-password")
    password = output.strip().splitlines()[-1].split("Password: ", 1)[1]
    assert authenticate(username="gen@agency-b.test", password=password) is not None


def test_create_user_unknown_org_is_refused(db):
    with pytest.raises(CommandError, match="No organization"):
        run("create_user", "--org", "nope", "--email", "x@y.test", "--role", "admin", "--generate-password")
    assert not User.objects.filter(email="x@y.test").exists()


def test_create_user_unknown_role_is_refused(world):
    with pytest.raises(CommandError):
        run("create_user", "--org", "agency-a", "--email", "x@y.test", "--role", "owner", "--generate-password")
    assert not User.objects.filter(email="x@y.test").exists()


@pytest.mark.parametrize("weak", ["short", "password123456", "12345678901234"])
def test_create_user_weak_password_is_refused(world, weak):
    with pytest.raises(CommandError):
        run("create_user", "--org", "agency-a", "--email", "weak@agency-a.test", "--role", "admin", "--password", weak)
    assert not User.objects.filter(email="weak@agency-a.test").exists()


# --- seed_demo -------------------------------------------------------------------------------


def _counts():
    with unscoped():
        return {
            model.__name__: model.objects.count()
            for model in (Organization, User, Membership, Stage, Surrogate, StatusChange, StatusChangeRequest, Note, Task, ActivityEvent)
        }


def test_seed_demo_is_idempotent_and_the_manifest_keeps_its_contract(db):
    first = json.loads(run("seed_demo", "--json", "--base-url", "http://testserver"))
    counts = _counts()
    second = json.loads(run("seed_demo", "--json", "--base-url", "http://testserver"))
    assert _counts() == counts
    assert first == second
    assert current_org() is None

    assert list(first) == ["orgs"] or "orgs" in first
    orgs = first["orgs"]
    assert len(orgs) == 2
    assert len({o["slug"] for o in orgs}) == 2
    for entry in orgs:
        assert {"slug", "name", "users", "surrogates"} <= set(entry)
        org = Organization.objects.get(slug=entry["slug"])
        assert entry["name"] == org.name
        roles = sorted(user["role"] for user in entry["users"])
        assert roles == sorted(Role.values)
        for user in entry["users"]:
            assert {"email", "password", "role"} <= set(user)
            assert authenticate(username=user["email"], password=user["password"]) is not None
        assert 20 <= len(entry["surrogates"]) <= 30
        ids = [item["id"] for item in entry["surrogates"]]
        for item in entry["surrogates"]:
            assert {"id", "url"} <= set(item)
            uuid.UUID(item["id"])
            assert item["url"].startswith("http://testserver/") and item["id"] in item["url"]
        with org_scope(org):
            assert Surrogate.objects.filter(public_id__in=ids).count() == len(ids)
            assert StatusChangeRequest.objects.filter(state="pending").count() >= 1
            assert Note.objects.exists() and Task.objects.exists()
            stages = set(Surrogate.objects.values_list("stage__stage_type", flat=True))
            assert {"intake", "post_approval", "terminal"} <= stages
    with unscoped():
        assert Surrogate.objects.count() == sum(len(o["surrogates"]) for o in orgs)


def test_seed_demo_human_output_lists_logins(db):
    output = run("seed_demo")
    assert "cradle-demo-pass" in output
    assert "admin@harbor.example.com" in output and "intake@summit.example.com" in output
    with pytest.raises(ScopeError):
        Surrogate.objects.count()
