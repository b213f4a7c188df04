import json
import time

import pytest
from django.test import TestCase

from integrations.meta.fake_graph import FakeGraph
from integrations.meta.models import MetaPage, MetaSettings
from integrations.meta.signature import sign
from tenants.scope import org_scope

APP_SECRET = "test-meta-app-secret"
PAGE_A = "111111111111111"
PAGE_B = "222222222222222"
URL = "/webhooks/meta/"


@pytest.fixture
def fake_graph(settings):
    fake = FakeGraph(app_secret=APP_SECRET).start()
    settings.META_GRAPH_BASE_URL = fake.base_url
    settings.META_APP_SECRET = APP_SECRET
    settings.META_VERIFY_TOKEN = "test-verify-token"
    settings.META_HTTP_TIMEOUT = 2.0
    yield fake
    fake.stop()


def map_page(org, page_id, token="page-token-" + "x" * 8, active=True):
    with org_scope(org):
        return MetaPage.objects.create(
            organization=org, page_id=page_id, name=f"Page {page_id}", access_token=token, is_active=active
        )


def enable_capi(org, *, pixel_id="900000000000001", token="capi-token"):
    with org_scope(org):
        return MetaSettings.objects.create(organization=org, capi_enabled=True, pixel_id=pixel_id, capi_access_token=token)


@pytest.fixture
def pages(world, fake_graph):
    """Org A maps PAGE_A, org B maps PAGE_B."""
    return {"a": map_page(world.org_a, PAGE_A), "b": map_page(world.org_b, PAGE_B)}


def leadgen_payload(*changes, extra=None) -> dict:
    """Meta's documented shape. Each change: (page_id, leadgen_id)."""
    now = int(time.time())
    entries = []
    for page_id, leadgen_id in changes:
        entries.append(
            {
                "id": page_id,
                "time": now,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {
                            "ad_id": "444444444",
                            "adgroup_id": "555555555",
                            "form_id": "666666666",
                            "leadgen_id": leadgen_id,
                            "created_time": now,
                            "page_id": page_id,
                        },
                    }
                ],
            }
        )
    payload = {"object": "page", "entry": entries}
    payload.update(extra or {})
    return payload


def body_of(payload) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def post_signed(client, body: bytes, *, secret=APP_SECRET, header=None, **extra):
    headers = {"HTTP_X_HUB_SIGNATURE_256": header if header is not None else sign(body, secret)}
    if header is False:
        headers = {}
    # The test runs in a transaction that never commits: run the on-commit work (the task) as a
    # real commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.generic("POST", URL, body, content_type="application/json", **headers, **extra)
