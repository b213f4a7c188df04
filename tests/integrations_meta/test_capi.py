"""Conversions API feedback: the bytes the fake Graph server received, hashing, idempotency."""
import hashlib
import json

import pytest
from django.test import TestCase

from integrations.meta import capi
from integrations.meta.models import ConversionEvent, MetaLead
from surrogates import services as surrogate_services
from surrogates.models import Stage, Surrogate
from tenants.models import Role
from tenants.scope import org_scope, unscoped
from tests.integrations_meta.conftest import PAGE_A, PAGE_B, body_of, enable_capi, leadgen_payload, post_signed

pytestmark = pytest.mark.django_db
PIXEL = "900000000000001"


def _deliver(client, page_id, leadgen_id):
    assert post_signed(client, body_of(leadgen_payload((page_id, leadgen_id)))).status_code == 200


def _move(world, org, leadgen_id, stage_key, *, reason=""):
    with org_scope(org):
        lead = MetaLead.objects.get(leadgen_id=leadgen_id)
        surrogate = Surrogate.objects.get(pk=lead.surrogate_id)
        stage = Stage.objects.get(key=stage_key)
        with TestCase.captureOnCommitCallbacks(execute=True):
            return surrogate_services.surrogate_change_status(
                membership=world.member(org, Role.ADMIN), surrogate=surrogate, to_stage=stage, reason=reason
            )


def _sha(value):
    return hashlib.sha256(value.encode()).hexdigest()


def test_bucket_change_posts_one_event_with_hashed_user_data(client, world, pages, fake_graph):
    enable_capi(world.org_a, pixel_id=PIXEL, token="capi-token-a")
    fake_graph.leads["700001"] = [
        {"name": "full_name", "values": ["Ana Ruiz"]},
        {"name": "email", "values": [" Ana.Ruiz@Example.com"]},
        {"name": "phone_number", "values": ["(614) 555-0101"]},
    ]
    _deliver(client, PAGE_A, "700001")
    _move(world, world.org_a, "700001", "qualified")
    [posted] = fake_graph.events
    assert posted["pixel_id"] == PIXEL
    body = json.loads(posted["raw"])  # the bytes that reached the server
    assert body["access_token"] == "capi-token-a"
    [event] = body["data"]
    assert event["event_name"] == "QualifiedLead"
    assert event["event_id"] == "cradle-lead-700001-qualified"
    assert event["action_source"] == "system_generated"
    assert isinstance(event["event_time"], int)
    assert event["user_data"] == {
        "lead_id": "700001",
        "em": [_sha("ana.ruiz@example.com")],
        "ph": [_sha("16145550101")],
    }
    assert event["custom_data"] == {"lead_event_source": "Cradle", "event_source": "crm"}
    assert b"ana.ruiz" not in posted["raw"].lower() and b"6145550101" not in posted["raw"].replace(_sha("16145550101").encode(), b"")
    with org_scope(world.org_a):
        row = ConversionEvent.objects.get()
        assert row.status == ConversionEvent.Status.SENT and row.bucket == "qualified"


def test_moves_within_a_bucket_send_nothing(client, world, pages, fake_graph):
    enable_capi(world.org_a)
    _deliver(client, PAGE_A, "700002")
    _move(world, world.org_a, "700002", "contacted")  # new_unread -> contacted: still intake
    assert fake_graph.events == []


def test_each_bucket_is_sent_once_and_event_ids_are_stable(client, world, pages, fake_graph):
    enable_capi(world.org_a)
    _deliver(client, PAGE_A, "700003")
    _move(world, world.org_a, "700003", "qualified")
    _move(world, world.org_a, "700003", "interview_scheduled")  # same bucket
    _move(world, world.org_a, "700003", "ready_to_match")  # converted
    _move(world, world.org_a, "700003", "lost")
    names = [json.loads(e["raw"])["data"][0]["event_id"] for e in fake_graph.events]
    assert names == [
        "cradle-lead-700003-qualified",
        "cradle-lead-700003-converted",
        "cradle-lead-700003-lost",
    ]


def test_disqualified_bucket(client, world, pages, fake_graph):
    enable_capi(world.org_a)
    _deliver(client, PAGE_A, "700004")
    _move(world, world.org_a, "700004", "disqualified")
    [posted] = fake_graph.events
    assert json.loads(posted["raw"])["data"][0]["event_name"] == "DisqualifiedLead"


def test_disabled_org_sends_nothing(client, world, pages, fake_graph):
    enable_capi(world.org_a)  # A is on; B has no settings at all
    _deliver(client, PAGE_B, "700005")
    _move(world, world.org_b, "700005", "qualified")
    assert fake_graph.events == []
    with org_scope(world.org_b):
        assert ConversionEvent.objects.count() == 0


def test_switched_off_org_sends_nothing(client, world, pages, fake_graph):
    settings_row = enable_capi(world.org_a)
    with org_scope(world.org_a):
        settings_row.capi_enabled = False
        settings_row.save()
    _deliver(client, PAGE_A, "700006")
    _move(world, world.org_a, "700006", "qualified")
    assert fake_graph.events == []


def test_non_meta_surrogates_send_nothing(client, world, pages, fake_graph):
    enable_capi(world.org_a)
    with org_scope(world.org_a):
        surrogate = surrogate_services.surrogate_create(membership=world.member(world.org_a, Role.ADMIN), full_name="Walk In")
        with TestCase.captureOnCommitCallbacks(execute=True):
            surrogate_services.surrogate_change_status(
                membership=world.member(world.org_a, Role.ADMIN), surrogate=surrogate, to_stage=Stage.objects.get(key="qualified")
            )
    assert fake_graph.events == []


def test_transient_capi_failure_is_retried_with_the_same_event_id(client, world, pages, fake_graph):
    enable_capi(world.org_a, pixel_id=PIXEL)
    _deliver(client, PAGE_A, "700007")
    fake_graph.fail(PIXEL, 500)
    _move(world, world.org_a, "700007", "qualified")
    ids = [json.loads(e["raw"])["data"][0]["event_id"] for e in fake_graph.events]
    assert ids == ["cradle-lead-700007-qualified"] * 2
    with org_scope(world.org_a):
        row = ConversionEvent.objects.get()
        assert row.status == ConversionEvent.Status.SENT and row.attempts == 2


def test_permanent_capi_failure_is_recorded_not_retried(client, world, pages, fake_graph):
    enable_capi(world.org_a, pixel_id=PIXEL)
    _deliver(client, PAGE_A, "700008")
    fake_graph.fail(PIXEL, 400, code=100)
    _move(world, world.org_a, "700008", "qualified")
    assert len(fake_graph.events) == 1
    with org_scope(world.org_a):
        row = ConversionEvent.objects.get()
        assert row.status == ConversionEvent.Status.FAILED and "400" in row.last_error


def test_a_sent_event_is_never_sent_again(client, world, pages, fake_graph):
    enable_capi(world.org_a)
    _deliver(client, PAGE_A, "700009")
    _move(world, world.org_a, "700009", "qualified")
    with org_scope(world.org_a):
        row = ConversionEvent.objects.get()
        assert capi.event_send(event_id=row.pk) == (capi.STOPPED, 0)
    assert len(fake_graph.events) == 1


def test_task_payloads_carry_ids_only(client, world, pages, fake_graph, monkeypatch):
    """Record what is handed to Celery (the outside boundary), not our own functions."""
    from celery.app.task import Task

    seen = []
    original = Task.apply_async

    def spy(self, args=None, kwargs=None, **options):
        seen.append((self.name, dict(kwargs or {})))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", spy)
    enable_capi(world.org_a)
    _deliver(client, PAGE_A, "700010")
    _move(world, world.org_a, "700010", "qualified")
    names = [name for name, _ in seen]
    assert {"meta.process_lead", "meta.stage_changed", "meta.send_conversion_event"} <= set(names)
    for _, kwargs in seen:
        assert all(isinstance(value, int) for value in kwargs.values()), kwargs
    with unscoped():
        assert MetaLead.objects.get(leadgen_id="700010").status == MetaLead.Status.CREATED
