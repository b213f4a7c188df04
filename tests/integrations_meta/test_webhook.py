"""POST/GET /webhooks/meta/: size, signature, shape, durable insert before the 200, redelivery."""
import asyncio
import json
import logging

import pytest
from asgiref.sync import async_to_sync
from django.core.asgi import get_asgi_application
from django.db import connection

from integrations.meta.models import MetaLead
from integrations.meta.signature import sign
from surrogates.models import Queue, Source, Surrogate
from tenants.scope import org_scope, unscoped
from tests.integrations_meta.conftest import APP_SECRET, PAGE_A, PAGE_B, URL, body_of, leadgen_payload, post_signed

pytestmark = pytest.mark.django_db(transaction=False)


def _lead_count():
    with unscoped():
        return MetaLead.objects.count()


def _surrogates(org):
    with org_scope(org):
        return list(Surrogate.objects.all())


# --- Handshake ----------------------------------------------------------------------------------


def test_handshake_echoes_the_challenge_for_the_right_token(client, fake_graph):
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": "test-verify-token", "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_handshake_refuses_anything_else(client, fake_graph, params):
    response = client.get(URL, params)
    assert response.status_code == 403
    assert b"1" not in response.content.replace(b"403", b"")


# --- A documented delivery ------------------------------------------------------------------------


def test_documented_payload_becomes_one_surrogate_in_the_pages_org(client, world, pages, fake_graph):
    body = body_of(leadgen_payload((PAGE_A, "900001")))
    response = post_signed(client, body)
    assert response.status_code == 200, response.content
    with org_scope(world.org_a):
        lead = MetaLead.objects.get(leadgen_id="900001")
        assert lead.status == MetaLead.Status.CREATED
        assert (lead.form_id, lead.ad_id, lead.adset_id) == ("666666666", "444444444", "555555555")
        assert lead.campaign_id  # from the Graph lookup
        surrogate = Surrogate.objects.get()
        assert lead.surrogate_id == surrogate.pk
        assert surrogate.source == Source.META
        assert surrogate.email == "lead.900001@leads.example.com"
        assert surrogate.owner is None and surrogate.owner_queue.system_key == Queue.UNASSIGNED
        assert lead.field_data["answers"] == {"have_you_been_pregnant_before?": "yes"}
    assert _surrogates(world.org_b) == []
    [request] = fake_graph.lead_requests
    assert request["leadgen_id"] == "900001"


def test_lead_field_data_is_encrypted_at_rest(client, world, pages, fake_graph):
    post_signed(client, body_of(leadgen_payload((PAGE_A, "900002"))))
    with connection.cursor() as cursor:
        cursor.execute("SELECT field_data FROM meta_metalead WHERE leadgen_id = %s", ["900002"])
        (stored,) = cursor.fetchone()
    assert "leads.example.com" not in stored and "full_name" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token


def test_signature_is_over_the_exact_bytes_including_non_ascii(client, world, pages):
    payload = leadgen_payload((PAGE_A, "900003"), extra={"note": "Zoë – 東京 ✓"})
    exact = json.dumps(payload, ensure_ascii=False).encode()
    escaped = json.dumps(payload, ensure_ascii=True).encode()  # same JSON value, other bytes
    assert exact != escaped and json.loads(exact) == json.loads(escaped)
    assert post_signed(client, escaped, header=sign(exact, APP_SECRET)).status_code == 403
    assert _lead_count() == 0
    assert post_signed(client, exact, header=sign(exact, APP_SECRET)).status_code == 200
    assert _lead_count() == 1


@pytest.mark.parametrize(
    "header",
    [
        False,  # missing
        "",
        "sha256=",
        "sha1=" + "a" * 40,
        "sha256=zz" + "0" * 62,
        "sha256=" + "0" * 63,
        "sha256=" + "0" * 64,  # well formed, wrong
        "WRONG-SECRET",
    ],
)
def test_missing_malformed_or_wrong_signature_is_403_and_stores_nothing(client, world, pages, fake_graph, header):
    body = body_of(leadgen_payload((PAGE_A, "900004")))
    if header == "WRONG-SECRET":
        header = sign(body, "another-secret")
    response = post_signed(client, body, header=header)
    assert response.status_code == 403
    assert _lead_count() == 0 and _surrogates(world.org_a) == []
    assert fake_graph.lead_requests == []


def test_no_app_secret_configured_refuses_everything(client, world, pages, settings):
    body = body_of(leadgen_payload((PAGE_A, "900005")))
    header = sign(body, APP_SECRET)
    settings.META_APP_SECRET = ""
    assert post_signed(client, body, header=header).status_code == 403
    assert _lead_count() == 0


def test_test_mode_is_ignored_outside_dev(client, world, pages, settings):
    settings.META_TEST_MODE = True  # the test profile: never honoured
    assert post_signed(client, body_of(leadgen_payload((PAGE_A, "900006"))), header=False).status_code == 403
    assert _lead_count() == 0


# --- 413 ------------------------------------------------------------------------------------------


def test_body_over_the_cap_is_413_by_actual_length(client, world, pages):
    payload = leadgen_payload((PAGE_A, "900007"), extra={"padding": "x" * 100_000})
    body = body_of(payload)
    response = post_signed(client, body)
    assert response.status_code == 413
    assert _lead_count() == 0


def test_declared_length_over_the_cap_is_413_before_reading(client, world, pages):
    body = body_of(leadgen_payload((PAGE_A, "900008")))
    response = post_signed(client, body, CONTENT_LENGTH="100001")
    assert response.status_code == 413
    assert _lead_count() == 0


def test_exactly_the_cap_is_accepted_size_wise(client, world, pages):
    payload = leadgen_payload((PAGE_A, "900009"), extra={"padding": ""})
    base = len(body_of(payload))
    payload["padding"] = "x" * (100_000 - base)
    body = body_of(payload)
    assert len(body) == 100_000
    assert post_signed(client, body).status_code == 200


def _asgi_post(body: bytes, headers: list[tuple[bytes, bytes]]):
    """A raw ASGI request with no Content-Length (chunked upstream): only the bytes say how big."""
    app = get_asgi_application()
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": URL, "raw_path": URL.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
    }
    chunks = [body[i : i + 16384] for i in range(0, len(body), 16384)] or [b""]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected; Django cancels this when done

    async def send(message):
        sent.append(message)

    async_to_sync(app)(scope, receive, send)
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.mark.django_db(transaction=True)
def test_body_over_the_cap_without_content_length_is_413_by_actual_length(world, pages):
    body = body_of(leadgen_payload((PAGE_A, "900010"), extra={"padding": "y" * 150_000}))
    status = _asgi_post(body, [(b"x-hub-signature-256", sign(body, APP_SECRET).encode())])
    assert status == 413
    assert _lead_count() == 0
    small = body_of(leadgen_payload((PAGE_A, "900010")))  # the same route without padding is accepted
    assert _asgi_post(small, [(b"x-hub-signature-256", sign(small, APP_SECRET).encode())]) == 200
    assert _lead_count() == 1


# --- Shape ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"\xff\xfe\x00",
        json.dumps({"object": "user", "entry": []}).encode(),
        json.dumps({"object": "page", "entry": "nope"}).encode(),
        json.dumps({"object": "page", "entry": [{"changes": [{"field": "leadgen", "value": {"page_id": "1"}}]}]}).encode(),
        json.dumps([1, 2]).encode(),
    ],
)
def test_bad_json_or_shape_is_400_and_stores_nothing(client, world, pages, body):
    response = post_signed(client, body)
    assert response.status_code == 400
    assert "error" in response.json()
    assert _lead_count() == 0


def test_deeply_nested_json_under_the_cap_is_400_not_a_500(client, world, pages):
    body = b"[" * 40000 + b"]" * 40000
    assert len(body) < 100_000
    response = post_signed(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": "The body's JSON is nested too deeply."}
    assert _lead_count() == 0


@pytest.mark.parametrize(
    "page_id, leadgen_id",
    [(PAGE_A, "\uff11\uff12\uff13\uff14"), (PAGE_A, "\u0661\u0662\u0663"), ("\uff11" * 15, "900001")],
)
def test_ids_that_are_not_ascii_digits_are_400_and_store_nothing(client, world, pages, page_id, leadgen_id):
    # Meta's ids are ASCII digit strings; anything else is not a delivery we can trust.
    response = post_signed(client, body_of(leadgen_payload((page_id, leadgen_id))))
    assert response.status_code == 400
    assert response.json() == {"error": "A leadgen change needs numeric leadgen_id and page_id."}
    assert _lead_count() == 0
    assert _surrogates(world.org_a) == []


def test_non_leadgen_fields_are_acknowledged_and_ignored(client, world, pages):
    payload = {"object": "page", "entry": [{"id": PAGE_A, "changes": [{"field": "feed", "value": {"item": "post"}}]}]}
    assert post_signed(client, body_of(payload)).status_code == 200
    assert _lead_count() == 0


# --- Redelivery, unmapped pages, several orgs -----------------------------------------------------


def test_redelivered_webhook_creates_nothing_new(client, world, pages, fake_graph):
    body = body_of(leadgen_payload((PAGE_A, "900011")))
    assert post_signed(client, body).status_code == 200
    second = post_signed(client, body)
    assert second.status_code == 200 and second.json()["duplicate"] == 1
    assert _lead_count() == 1
    assert len(_surrogates(world.org_a)) == 1
    assert len(fake_graph.lead_requests) == 1


def test_unmapped_page_is_logged_without_pii_and_ignored_with_200(client, world, pages, fake_graph, caplog):
    body = body_of(leadgen_payload(("333333333333333", "900012")))
    with caplog.at_level(logging.WARNING, logger="integrations.meta"):
        response = post_signed(client, body)
    assert response.status_code == 200 and response.json()["unmapped"] == 1
    assert _lead_count() == 0 and fake_graph.lead_requests == []
    assert any("unmapped" in r.getMessage() for r in caplog.records)
    assert not any("leads.example.com" in r.getMessage() for r in caplog.records)


def test_inactive_page_counts_as_unmapped(client, world, pages):
    with org_scope(world.org_a):
        pages["a"].is_active = False
        pages["a"].save()
    assert post_signed(client, body_of(leadgen_payload((PAGE_A, "900013")))).json()["unmapped"] == 1
    assert _lead_count() == 0


def test_one_delivery_for_two_orgs_pages_lands_each_lead_in_its_own_org(client, world, pages):
    body = body_of(leadgen_payload((PAGE_A, "900014"), (PAGE_B, "900015")))
    assert post_signed(client, body).status_code == 200
    [a] = _surrogates(world.org_a)
    [b] = _surrogates(world.org_b)
    assert a.email == "lead.900014@leads.example.com"
    assert b.email == "lead.900015@leads.example.com"
    with org_scope(world.org_a):
        assert list(MetaLead.objects.values_list("leadgen_id", flat=True)) == ["900014"]
    with org_scope(world.org_b):
        assert list(MetaLead.objects.values_list("leadgen_id", flat=True)) == ["900015"]


def test_rate_limit_per_ip(client, world, pages, settings):
    settings.META_WEBHOOK_RATE = "3/m"
    statuses = [post_signed(client, body_of(leadgen_payload((PAGE_A, f"91000{i}")))).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _lead_count() == 3


def test_get_and_post_only(client, fake_graph):
    assert client.put(URL, b"{}").status_code == 405
