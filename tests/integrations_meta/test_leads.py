"""The lead task against the fake Graph server: lookup, retries, permanent failures, linking."""
import hashlib
import hmac
import logging

import pytest

from integrations.meta import leads
from integrations.meta.models import MetaLead
from surrogates import services as surrogate_services
from surrogates.models import Source, Surrogate
from tenants.models import Role
from tenants.scope import org_scope, unscoped
from tests.integrations_meta.conftest import APP_SECRET, PAGE_A, PAGE_B, body_of, leadgen_payload, post_signed

pytestmark = pytest.mark.django_db


def _deliver(client, *changes):
    response = post_signed(client, body_of(leadgen_payload(*changes)))
    assert response.status_code == 200, response.content
    return response


def _lead(leadgen_id):
    with unscoped():
        return MetaLead.objects.get(leadgen_id=leadgen_id)


def test_lookup_sends_page_token_and_appsecret_proof(client, world, pages, fake_graph):
    _deliver(client, (PAGE_A, "800001"))
    [request] = fake_graph.lead_requests
    token = "page-token-" + "x" * 8
    assert request["access_token"] == token
    assert request["appsecret_proof"] == hmac.new(APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()
    assert _lead("800001").status == MetaLead.Status.CREATED


def test_graph_500_then_200_is_retried_and_creates_one_surrogate(client, world, pages, fake_graph):
    fake_graph.fail("800002", 500)
    _deliver(client, (PAGE_A, "800002"))
    lead = _lead("800002")
    assert lead.status == MetaLead.Status.CREATED and lead.attempts == 2 and lead.failure_reason == ""
    assert [r["leadgen_id"] for r in fake_graph.lead_requests] == ["800002", "800002"]
    with org_scope(world.org_a):
        assert Surrogate.objects.count() == 1


@pytest.mark.parametrize("status, code", [(429, None), (400, 17), (400, 4), (503, 2), (400, 341)])
def test_transient_graph_errors_retry(client, world, pages, fake_graph, status, code):
    fake_graph.fail("800003", status, code=code, times=2)
    _deliver(client, (PAGE_A, "800003"))
    lead = _lead("800003")
    assert lead.status == MetaLead.Status.CREATED and lead.attempts == 3


@pytest.mark.parametrize("status, code", [(400, 100), (400, 190), (403, 10), (404, 803)])
def test_permanent_graph_errors_mark_the_lead_failed_with_a_reason(client, world, pages, fake_graph, status, code, caplog):
    fake_graph.fail("800004", status, code=code)
    with caplog.at_level(logging.WARNING):
        _deliver(client, (PAGE_A, "800004"))
    lead = _lead("800004")
    assert lead.status == MetaLead.Status.FAILED and lead.attempts == 1
    assert f"{status}" in lead.failure_reason and lead.surrogate_id is None
    assert "page-token" not in lead.failure_reason
    assert not any("page-token" in r.getMessage() for r in caplog.records)
    with org_scope(world.org_a):
        assert Surrogate.objects.count() == 0


def test_graph_down_for_good_fails_after_bounded_attempts(client, world, pages, fake_graph):
    fake_graph.fail("800005", 500, times=50)
    _deliver(client, (PAGE_A, "800005"))
    lead = _lead("800005")
    assert lead.status == MetaLead.Status.FAILED
    assert lead.attempts == leads.MAX_ATTEMPTS == len(fake_graph.lead_requests)
    assert "after 6 attempts" in lead.failure_reason


def test_graph_unreachable_is_transient(client, world, pages, settings):
    settings.META_GRAPH_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    _deliver(client, (PAGE_A, "800006"))
    lead = _lead("800006")
    assert lead.status == MetaLead.Status.FAILED and "unreachable" in lead.failure_reason


def test_admin_retry_of_a_failed_lead_processes_it_again(client, world, pages, fake_graph):
    fake_graph.fail("800007", 400, code=190)
    _deliver(client, (PAGE_A, "800007"))
    lead = _lead("800007")
    assert lead.status == MetaLead.Status.FAILED
    from django.test import TestCase

    with org_scope(world.org_a), TestCase.captureOnCommitCallbacks(execute=True):
        leads.lead_retry(lead=lead)
    assert _lead("800007").status == MetaLead.Status.CREATED


def test_two_orgs_with_different_pages_each_get_their_own_leads(client, world, pages, fake_graph):
    for index in range(3):
        _deliver(client, (PAGE_A, f"80010{index}"))
        _deliver(client, (PAGE_B, f"80020{index}"))
    with org_scope(world.org_a):
        a = {s.email for s in Surrogate.objects.all()}
        assert all(lead.organization_id == world.org_a.pk for lead in MetaLead.objects.all())
    with org_scope(world.org_b):
        b = {s.email for s in Surrogate.objects.all()}
    assert a == {f"lead.80010{i}@leads.example.com" for i in range(3)}
    assert b == {f"lead.80020{i}@leads.example.com" for i in range(3)}


def test_same_email_links_to_the_existing_active_record(client, world, pages, fake_graph):
    with org_scope(world.org_a):
        existing = surrogate_services.surrogate_create(
            membership=world.member(world.org_a, Role.ADMIN), full_name="Already Here", email="LEAD.800008@leads.example.com"
        )
    _deliver(client, (PAGE_A, "800008"))
    lead = _lead("800008")
    assert lead.status == MetaLead.Status.LINKED and lead.surrogate_id == existing.pk
    with org_scope(world.org_a):
        assert Surrogate.objects.count() == 1
        assert Surrogate.objects.get().source == Source.MANUAL


def test_same_email_in_another_org_does_not_link(client, world, pages, fake_graph):
    with org_scope(world.org_b):
        surrogate_services.surrogate_create(
            membership=world.member(world.org_b, Role.ADMIN), full_name="Other Org", email="lead.800009@leads.example.com"
        )
    _deliver(client, (PAGE_A, "800009"))
    assert _lead("800009").status == MetaLead.Status.CREATED


def test_field_data_is_normalised(client, world, pages, fake_graph):
    fake_graph.leads["800010"] = [
        {"name": "first_name", "values": ["Ana"]},
        {"name": "last_name", "values": ["Ruiz"]},
        {"name": "email", "values": ["  Ana.Ruiz@Example.COM "]},
        {"name": "phone_number", "values": ["(614) 555-0101"]},
        {"name": "state", "values": ["Ohio"]},
        {"name": "how_many_children_do_you_have?", "values": ["2"]},
        {"name": "bmi_range", "values": ["19-32"]},
    ]
    _deliver(client, (PAGE_A, "800010"))
    lead = _lead("800010")
    with org_scope(world.org_a):
        surrogate = Surrogate.objects.get()
        assert lead.field_data == {
            "full_name": "Ana Ruiz",
            "email": "ana.ruiz@example.com",
            "phone": "(614) 555-0101",
            "state": "OH",
            "answers": {"how_many_children_do_you_have?": "2", "bmi_range": "19-32"},
        }
    assert (surrogate.full_name, surrogate.email, surrogate.state) == ("Ana Ruiz", "ana.ruiz@example.com", "OH")
    assert surrogate.phone == "(614) 555-0101"


def test_lead_without_usable_contact_still_becomes_a_record(client, world, pages, fake_graph):
    fake_graph.leads["800011"] = [{"name": "phone_number", "values": ["call me"]}, {"name": "state", "values": ["Narnia"]}]
    _deliver(client, (PAGE_A, "800011"))
    with org_scope(world.org_a):
        surrogate = Surrogate.objects.get()
    assert surrogate.full_name == "Meta lead 800011" and surrogate.phone == "" and surrogate.state == ""


def test_processing_twice_creates_one_surrogate(client, world, pages, fake_graph):
    _deliver(client, (PAGE_A, "800012"))
    lead = _lead("800012")
    with org_scope(world.org_a):
        assert leads.lead_process(lead_id=lead.pk) == (leads.DONE, 0)
        assert Surrogate.objects.count() == 1
    assert len(fake_graph.lead_requests) == 1


def test_page_without_token_fails_with_a_reason(client, world, pages, fake_graph):
    with org_scope(world.org_a):
        pages["a"].access_token = ""
        pages["a"].save()
    _deliver(client, (PAGE_A, "800013"))
    lead = _lead("800013")
    assert lead.status == MetaLead.Status.FAILED and "meta_page_token" in lead.failure_reason
    assert fake_graph.lead_requests == []
