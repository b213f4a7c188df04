"""Templates, compose from a record, campaigns (filters in the org, suppression, unsubscribe), pages."""
import datetime
import re

import pytest
from django.utils import timezone

from messaging import services
from messaging.models import Campaign, CampaignSkip, EmailLog, EmailTemplate
from surrogates import services as surrogate_services
from surrogates.models import Stage
from tenants.models import Role
from tenants.scope import org_scope
from tests.conftest import login
from tests.messaging.conftest import make_surrogate

pytestmark = pytest.mark.django_db


def _template(world, org, **extra):
    with org_scope(org):
        return services.template_save(
            membership=world.member(org, Role.ADMIN),
            name=extra.get("name", "Welcome"),
            subject=extra.get("subject", "Welcome {{ first_name }} to {{ org_name }}"),
            body_html=extra.get(
                "body_html",
                '<p>Hi {{ full_name }} ({{ surrogate_number }}), stage {{ stage }}, owner {{ owner_name }}. '
                '{{ secret_key }}{{ surrogate.email }}<a href="https://example.org/faq">FAQ</a></p>',
            ),
        )


def test_template_body_is_sanitised_on_save(world):
    template = _template(
        world, world.org_a, body_html='<p onclick="x()">Hi<script>alert(1)</script><a href="javascript:alert(1)">x</a></p><img src=x onerror=alert(1)>'
    )
    assert "script" not in template.body_html and "onclick" not in template.body_html
    assert "javascript:" not in template.body_html and "onerror" not in template.body_html


def test_variables_render_escaped_and_unknown_ones_empty(world):
    surrogate = make_surrogate(world, world.org_a, name="Ann <b>Lee</b>")
    template = _template(world, world.org_a)
    with org_scope(world.org_a):
        subject, body = services.render_for(
            membership=world.member(world.org_a, Role.ADMIN), surrogate=surrogate, subject=template.subject,
            body_html=template.body_html + "{% load x %}{{ full_name|upper }}",
        )
    assert subject == "Welcome Ann to Agency A"
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in body and "<b>Lee</b>" not in body
    assert surrogate.surrogate_number in body and surrogate.stage.label in body
    assert "secret_key" not in body and "{{" not in body and "{%" not in body and surrogate.email not in body


def test_compose_preview_then_send_from_the_record(client, world, django_capture_on_commit_callbacks, mailoutbox):
    surrogate = make_surrogate(world, world.org_a, name="Maya Patel")
    template = _template(world, world.org_a)
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    detail = client.get(f"/surrogates/{surrogate.public_id}/")
    assert f"/email/surrogates/{surrogate.public_id}/compose/".encode() in detail.content
    url = f"/email/surrogates/{surrogate.public_id}/compose/"
    page = client.get(url)
    key = re.search(rb'name="idempotency_key" value="(\w+)"', page.content).group(1).decode()
    data = {"template": template.pk, "subject": "", "body_html": "", "idempotency_key": key}
    preview = client.post(url, {**data, "action": "preview"})
    assert preview.status_code == 200 and b"Welcome Maya to Agency A" in preview.content
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {**data, "action": "send"})
        again = client.post(url, {**data, "action": "send"})  # double submit: same key
    assert sent.status_code == 302 and again.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [surrogate.email]
    with org_scope(world.org_a):
        log = EmailLog.objects.get()
    assert log.state == EmailLog.State.SENT and log.template_id == template.pk
    assert client.get(f"/email/messages/{log.public_id}/").status_code == 200
    # Bad input is a 400 form, not a 500.
    assert client.post(url, {"idempotency_key": key, "action": "send"}).status_code == 400


def test_outsiders_get_404(client, world):
    surrogate = make_surrogate(world, world.org_b)
    template = _template(world, world.org_b)
    login(client, world.member(world.org_a, Role.ADMIN))
    assert client.get(f"/email/surrogates/{surrogate.public_id}/compose/").status_code == 404
    assert client.get(f"/email/templates/{template.public_id}/").status_code == 404


def _stages(org):
    with org_scope(org):
        return {stage.key: stage for stage in Stage.objects.all()}


def _campaign(world, org, template, filters, name="Spring update"):
    with org_scope(org):
        return services.campaign_create(
            membership=world.member(org, Role.CASE_MANAGER), name=name, template=template, filters=filters
        )


def _launch(world, org, campaign, capture):
    with org_scope(org), capture(execute=True):
        services.campaign_send_now(membership=world.member(org, Role.CASE_MANAGER), campaign=campaign)


def test_campaign_filters_stay_inside_the_org(world, django_capture_on_commit_callbacks, mailoutbox):
    a1 = make_surrogate(world, world.org_a, name="Amy One", priority="high")
    make_surrogate(world, world.org_a, name="Bea Two", priority="low")
    contacted = make_surrogate(world, world.org_a, name="Cat Three", priority="high")
    with org_scope(world.org_a):
        surrogate_services.surrogate_change_status(
            membership=world.member(world.org_a, Role.ADMIN), surrogate=contacted, to_stage=_stages(world.org_a)["contacted"]
        )
    b_match = make_surrogate(world, world.org_b, name="Dee Other", priority="high")
    template = _template(world, world.org_a)
    campaign = _campaign(world, world.org_a, template, {"stages": ["new_unread"], "priority": "high"})
    _launch(world, world.org_a, campaign, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[a1.email]]
    assert b_match.email not in str([m.to for m in mailoutbox])
    message = mailoutbox[0].message()
    assert message["List-Unsubscribe"].startswith("<http") and "/tracking/unsubscribe/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with org_scope(world.org_a):
        campaign.refresh_from_db()
        assert campaign.state == Campaign.State.DONE


def test_created_range_and_source_filters(world, django_capture_on_commit_callbacks, mailoutbox):
    old = make_surrogate(world, world.org_a, name="Old Timer", source="referral")
    make_surrogate(world, world.org_a, name="New Comer", source="referral")
    make_surrogate(world, world.org_a, name="Web Lead", source="website")
    with org_scope(world.org_a):
        type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=40))
    cutoff = (timezone.now() - datetime.timedelta(days=10)).date().isoformat()
    campaign = _campaign(world, world.org_a, _template(world, world.org_a), {"source": "referral", "created_to": cutoff})
    _launch(world, world.org_a, campaign, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[old.email]]


def test_state_filter(world, django_capture_on_commit_callbacks, mailoutbox):
    ohio = make_surrogate(world, world.org_a, name="Ohio Person")
    make_surrogate(world, world.org_a, name="Texas Person")
    with org_scope(world.org_a):
        type(ohio).objects.filter(pk=ohio.pk).update(state="OH")
        type(ohio).objects.filter(full_name="Texas Person").update(state="TX")
    campaign = _campaign(world, world.org_a, _template(world, world.org_a), {"state": "OH"})
    _launch(world, world.org_a, campaign, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[ohio.email]]


def test_unsubscribe_suppresses_the_next_send(client, world, django_capture_on_commit_callbacks, mailoutbox):
    surrogate = make_surrogate(world, world.org_a, name="Una Subscribe")
    other = make_surrogate(world, world.org_a, name="Stay Subscribed")
    template = _template(world, world.org_a)
    first = _campaign(world, world.org_a, template, {})
    _launch(world, world.org_a, first, django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2
    message = next(m for m in mailoutbox if m.to == [surrogate.email])
    unsubscribe = re.sub(r"^<https?://[^/]+|>$", "", message.extra_headers["List-Unsubscribe"])
    assert client.post(unsubscribe, {"List-Unsubscribe": "One-Click"}).status_code == 200

    second = _campaign(world, world.org_a, template, {}, name="Summer update")
    _launch(world, world.org_a, second, django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox[2:]] == [[other.email]]
    with org_scope(world.org_a):
        skip = CampaignSkip.objects.get(campaign=second)
        assert skip.surrogate_id == surrogate.pk and skip.reason == CampaignSkip.Reason.SUPPRESSED
        with pytest.raises(services.EmailError):
            services.email_send(
                membership=world.member(world.org_a, Role.ADMIN), surrogate=surrogate, subject="x",
                body_html="<p>x</p>", idempotency_key="after-unsub",
            )
    # The campaign page shows the counters.
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    page = client.get(f"/email/campaigns/{second.public_id}/")
    assert page.status_code == 200
    assert b'data-count="sent">1<' in page.content and b'data-count="skipped">1<' in page.content


def test_campaign_counters_include_opens_and_clicks(client, world, django_capture_on_commit_callbacks, mailoutbox):
    make_surrogate(world, world.org_a, name="Ola Open")
    campaign = _campaign(world, world.org_a, _template(world, world.org_a), {})
    _launch(world, world.org_a, campaign, django_capture_on_commit_callbacks)
    html = mailoutbox[0].alternatives[0][0]
    click = re.search(r'href="https?://[^/"]+(/tracking/click/[^"]+)"', html).group(1)
    client.get(click, HTTP_USER_AGENT="Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 Safari/605.1.15")
    login(client, world.member(world.org_a, Role.CASE_MANAGER))
    page = client.get(f"/email/campaigns/{campaign.public_id}/")
    assert b'data-count="opened">1<' in page.content and b'data-count="clicked">1<' in page.content


def test_scheduled_campaign_is_launched_by_the_sweep_once(world, django_capture_on_commit_callbacks, mailoutbox):
    from messaging.tasks import launch_due_campaigns

    make_surrogate(world, world.org_a, name="Sam Scheduled")
    with org_scope(world.org_a):
        campaign = services.campaign_create(
            membership=world.member(world.org_a, Role.CASE_MANAGER), name="Later",
            template=_template(world, world.org_a), filters={}, scheduled_for=timezone.now() + datetime.timedelta(hours=1),
        )
    assert launch_due_campaigns() == 0
    Campaign._base_manager.filter(pk=campaign.pk).update(scheduled_for=timezone.now() - datetime.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert launch_due_campaigns() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert launch_due_campaigns() == 0
    assert len(mailoutbox) == 1


def test_intake_specialists_cannot_run_campaigns(client, world):
    login(client, world.member(world.org_a, Role.INTAKE_SPECIALIST))
    assert client.get("/email/campaigns/").status_code == 403
    template = _template(world, world.org_a)
    with org_scope(world.org_a), pytest.raises(services.EmailError):
        services.campaign_create(
            membership=world.member(world.org_a, Role.INTAKE_SPECIALIST), name="x", template=template, filters={}
        )


def test_staff_pages_render(client, world):
    template = _template(world, world.org_a)
    login(client, world.member(world.org_a, Role.ADMIN))
    for url in ("/email/templates/", "/email/templates/new/", f"/email/templates/{template.public_id}/",
                "/email/campaigns/", "/email/campaigns/new/"):
        assert client.get(url).status_code == 200, url
    response = client.post("/email/campaigns/new/", {"name": "C", "template": template.pk, "stages": ["new_unread"]})
    assert response.status_code == 302
    with org_scope(world.org_a):
        assert Campaign.objects.get().filters["stages"] == ["new_unread"]
    assert client.post("/email/campaigns/new/", {"name": "", "template": "nope"}).status_code == 400
    assert client.post("/email/templates/new/", {"name": "Welcome", "subject": "s", "body_html": "<p>b</p>"}).status_code == 400
    with org_scope(world.org_a):
        assert EmailTemplate.objects.count() == 1
