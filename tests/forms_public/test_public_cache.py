"""The cached empty form on GET /apply/<token>/ (tenants.page_cache): a hit costs the one token
check, a used, revoked, expired or archived link is a 404 at once, changes show on the next
request, and another organization never gets the bytes."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forms_public import services
from forms_public.models import ApplicationLink, FormVersion
from surrogates.models import Surrogate
from tenants.scope import org_scope
from tests.forms_public.conftest import Apply, make_form

pytestmark = pytest.mark.postgres


def test_second_view_is_one_statement_and_the_same_page(client, apply_a):
    first = client.get(apply_a.url)
    with CaptureQueriesContext(connection) as captured:
        second = client.get(apply_a.url)
    assert len(captured.captured_queries) == 1  # the token check itself, never skipped
    assert second.status_code == 200 and second.content == first.content
    assert second["Cache-Control"] == "no-store" and second["Referrer-Policy"] == "no-referrer"
    assert b"Intake application" in second.content and b'name="records"' in second.content


def test_another_link_to_the_same_version_gets_the_cached_page(client, apply_a):
    client.get(apply_a.url)
    _link, token = apply_a.new_link()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/apply/{token}/")
    assert response.status_code == 200 and len(captured.captured_queries) == 1


def test_revoked_used_expired_or_archived_links_stop_at_once(client, apply_a):
    links = [apply_a.new_link() for _ in range(4)]
    for _, token in links:
        assert client.get(f"/apply/{token}/").status_code == 200
    (revoked, _), (used, _), (expired, _), _ = links
    with org_scope(apply_a.org):
        services.link_revoke(membership=apply_a.admin, link=revoked)
        ApplicationLink.objects.filter(pk=used.pk).update(used_at=timezone.now())
        ApplicationLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    for _, token in links[:3]:
        assert client.get(f"/apply/{token}/").status_code == 404
    assert client.get(f"/apply/{links[3][1]}/").status_code == 200
    with org_scope(apply_a.org):
        Surrogate.objects.filter(pk=apply_a.surrogate.pk).update(archived_at=timezone.now())
    assert client.get(f"/apply/{links[3][1]}/").status_code == 404


def test_organization_name_and_schema_changes_show_on_the_next_view(client, apply_a):
    assert b"Agency A" in client.get(apply_a.url).content
    apply_a.org.name = "Harbor Renamed"
    apply_a.org.save(update_fields=["name"])
    assert b"Harbor Renamed" in client.get(apply_a.url).content
    # Versions are frozen; should one be edited anyway (shell, data fix), its digest changes the key.
    with org_scope(apply_a.org):
        version = FormVersion.objects.get(pk=apply_a.link.form_version_id)
        version.schema = {**version.schema, "name": "Edited application"}
        version.save(update_fields=["schema"])
    body = client.get(apply_a.url).content
    assert b"Edited application" in body and b"Intake application" not in body


def test_pages_of_two_organizations_never_mix(client, world, apply_a):
    apply_b = Apply(world, world.org_b)
    other_form = make_form(world.org_b, apply_b.admin, name="Agency B screening")
    with org_scope(world.org_b):
        _link, other_token = services.link_issue(membership=apply_b.admin, surrogate=apply_b.surrogate, form=other_form, days=3)
    for _ in range(2):
        body_a = client.get(apply_a.url).content
        body_b = client.get(apply_b.url).content
        body_other = client.get(f"/apply/{other_token}/").content
        assert b"Agency A" in body_a and b"Agency B" not in body_a
        assert b"Agency B" in body_b and b"Agency A" not in body_b
        assert b"Agency B screening" in body_other and b"Agency B screening" not in body_a + body_b


def test_rate_limit_runs_on_every_view_hit_or_miss(client, apply_a):
    statuses = [client.get(apply_a.url).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429


def test_cached_page_is_what_the_template_renders_for_the_request(client, apply_a):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    from forms_public.schema import ApplicationForm

    client.get(apply_a.url)
    cached = client.get(apply_a.url).content.decode()
    with org_scope(apply_a.org):
        schema = FormVersion.objects.get(pk=apply_a.link.form_version_id).schema
        fresh = render_to_string(
            "forms_public/apply.html",
            {"form": ApplicationForm(schema=schema), "schema": schema, "organization": apply_a.org},
            request=RequestFactory().get(apply_a.url),
        )
    assert cached == fresh
