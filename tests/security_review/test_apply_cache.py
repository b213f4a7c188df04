"""Security review of the cached empty application form (forms_public.public_views, 91f2579)."""
import pytest

from forms_public import services
from surrogates.services import surrogate_create
from tenants.scope import org_scope
from tests.forms_public.conftest import Apply

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_cached_form_for_one_link_carries_no_other_links_token_or_record(client, world):
    apply_a = Apply(world, world.org_a)
    with org_scope(world.org_a):
        other = surrogate_create(membership=apply_a.admin, full_name="Bianca Secretname", owner=apply_a.intake.user)
        _link, other_token = services.link_issue(membership=apply_a.admin, surrogate=other, form=apply_a.form, days=3)
    first = client.get(apply_a.url).content.decode()
    second = client.get(f"/apply/{other_token}/").content.decode()  # a hit on the same version's bytes
    assert first == second
    for body in (first, second):
        assert apply_a.token not in body and other_token not in body  # the form posts to its own URL
        assert "Secretname" not in body and "Applicant Placeholder" not in body
        assert 'action="/apply/' not in body


def test_hostile_organization_name_is_escaped_in_the_cached_form(client, world):
    apply_a = Apply(world, world.org_a)
    world.org_a.name = '<script>alert("x")</script>'
    world.org_a.save(update_fields=["name"])
    client.get(apply_a.url)
    body = client.get(apply_a.url).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;alert" in body


def test_revoked_token_is_404_even_when_its_page_is_cached_and_others_still_served(client, world):
    apply_a = Apply(world, world.org_a)
    second_link, second_token = apply_a.new_link()
    assert client.get(apply_a.url).status_code == 200 and client.get(f"/apply/{second_token}/").status_code == 200
    with org_scope(world.org_a):
        services.link_revoke(membership=apply_a.admin, link=apply_a.link)
    assert client.get(apply_a.url).status_code == 404
    assert client.get(f"/apply/{second_token}/").status_code == 200
    assert client.get(f"/apply/{apply_a.token[:-1]}x/").status_code == 404
