"""A broker outage after the insert: the webhook still answers 200, the lead waits in `received`,
and the sweep (meta.requeue_stuck_leads) processes it once the broker is back."""
import datetime

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from integrations.meta import tasks
from integrations.meta.models import MetaLead
from surrogates.models import Surrogate
from tenants.scope import org_scope, unscoped
from tests.celery_worker import drop_broker_connections
from tests.integrations_meta.conftest import PAGE_A, body_of, leadgen_payload, post_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def dead_broker():
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "broker_connection_timeout", "task_publish_retry")}
    drop_broker_connections()
    # Nothing listens on port 1: every publish fails at once.
    celery_app.conf.update(
        task_always_eager=False, broker_url="redis://127.0.0.1:1/0", broker_connection_timeout=1, task_publish_retry=False
    )
    yield
    drop_broker_connections()
    celery_app.conf.update(**saved)


def test_webhook_acknowledges_when_the_broker_is_down_and_the_sweep_catches_up(client, world, pages, fake_graph, dead_broker, caplog):
    response = post_signed(client, body_of(leadgen_payload((PAGE_A, "770001"))))
    assert response.status_code == 200
    with unscoped():
        lead = MetaLead.objects.get(leadgen_id="770001")
    assert lead.status == MetaLead.Status.RECEIVED
    assert any("sweep will retry" in r.getMessage() for r in caplog.records)
    assert fake_graph.lead_requests == []


def test_sweep_processes_leads_left_in_received(world, pages, fake_graph):
    with org_scope(world.org_a):
        lead = MetaLead.objects.create(organization=world.org_a, page=pages["a"], leadgen_id="770002")
        MetaLead.objects.filter(pk=lead.pk).update(received_at=timezone.now() - datetime.timedelta(hours=1))
        fresh = MetaLead.objects.create(organization=world.org_a, page=pages["a"], leadgen_id="770003")
    assert tasks.requeue_stuck_leads.apply().get() == 1
    with org_scope(world.org_a):
        assert MetaLead.objects.get(pk=lead.pk).status == MetaLead.Status.CREATED
        assert MetaLead.objects.get(pk=fresh.pk).status == MetaLead.Status.RECEIVED  # too recent to touch
        assert Surrogate.objects.count() == 1
