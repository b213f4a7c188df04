"""seed_demo: a published form and an open link per demo org, listed under "apply_urls";
re-runs keep the same URL until the link is used, then list a fresh one."""
import io
import json

import pytest
from django.core.management import call_command

from forms_public.models import Form
from tenants.models import Organization
from tenants.scope import org_scope

pytestmark = pytest.mark.postgres


def _manifest():
    out = io.StringIO()
    call_command("seed_demo", "--json", "--base-url", "http://testserver", stdout=out)
    return json.loads(out.getvalue())


def test_each_demo_org_gets_a_published_form_and_an_open_link(db, client, settings, django_capture_on_commit_callbacks):
    settings.VIRUS_SCAN_ENABLED = False
    first = _manifest()
    assert first == _manifest()  # idempotent
    for entry in first["orgs"]:
        assert len(entry["apply_urls"]) == 1
        org = Organization.objects.get(slug=entry["slug"])
        with org_scope(org):
            assert Form.objects.get().published_version is not None
        path = entry["apply_urls"][0].removeprefix("http://testserver")
        assert client.get(path).status_code == 200

    # Use harbor's link: the next run lists a fresh, different one.
    used = first["orgs"][0]["apply_urls"][0].removeprefix("http://testserver")
    answers = {"full_name": "Demo Person", "email": "demo.person@example.com", "phone": "+15550101111",
               "date_of_birth": "1990-02-03", "pregnancies": "1", "smoker": "No", "consent": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(used, answers).status_code == 200
    again = _manifest()
    fresh = again["orgs"][0]["apply_urls"]
    assert len(fresh) == 1 and fresh[0] != first["orgs"][0]["apply_urls"][0]
    assert again["orgs"][1]["apply_urls"] == first["orgs"][1]["apply_urls"]
