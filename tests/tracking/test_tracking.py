"""The public tracking endpoints: pixel, click redirect, unsubscribe, and the attacks on them."""
import re

import pytest
from django.db import transaction

from messaging import services
from messaging.models import EmailLog, Suppression
from tenants.models import Role
from tenants.scope import org_scope
from tracking import open_buffer, tokens
from tracking.models import TrackedLink, TrackingEvent
from tracking.views import PIXEL
from tests.messaging.conftest import make_surrogate

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
GMAIL_PROXY = "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"


def _queue(world, org, *, body='<p>Read <a href="https://example.org/guide">this</a></p>', unsubscribe=False, key="t1",
           surrogate=None):
    surrogate = surrogate or make_surrogate(world, org, name=f"Zoe {org.slug.title()}")
    with org_scope(org), transaction.atomic():
        log, _ = services.email_queue(
            organization_id=org.pk, idempotency_key=key, to_email=surrogate.email, subject="Hi", body_html=body,
            sender=world.member(org, Role.CASE_MANAGER), surrogate=surrogate, unsubscribe=unsubscribe,
        )
    return EmailLog._base_manager.get(pk=log.pk)


def _fresh(log):
    open_buffer.flush()  # opens wait in Redis for the flusher (Celery beat); a no-op without Redis
    return EmailLog._base_manager.get(pk=log.pk)


def _path(url):
    return re.sub(r"^https?://[^/]+", "", url)


def _click_url(log, position=0):
    return f"/tracking/click/{tokens.make('click', log.public_id, position)}/"


def _open_url(log):
    return f"/tracking/open/{tokens.make('open', log.public_id)}/"


def _tamper(token):
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def test_outgoing_html_has_a_pixel_and_rewritten_links_but_not_mailto_tel_or_anchors(world):
    body = '<p><a href="https://example.org/a">a</a> <a href="mailto:x@example.org">m</a> <a href="tel:+15550100">t</a> <a href="#top">top</a></p>'
    log = _queue(world, world.org_a, body=body)
    assert log.body_html.count("/tracking/click/") == 1
    assert 'href="mailto:x@example.org"' in log.body_html and 'href="tel:+15550100"' in log.body_html
    assert 'href="#top"' in log.body_html
    assert _open_url(log) in log.body_html
    with org_scope(world.org_a):
        assert list(TrackedLink.objects.values_list("position", "url")) == [(0, "https://example.org/a")]


def test_pixel_is_the_same_gif_with_no_store_for_valid_tampered_and_unknown_tokens(client, world):
    log = _queue(world, world.org_a)
    good = tokens.make("open", log.public_id)
    import uuid

    unknown = tokens.make("open", uuid.uuid4())
    for token in (good, _tamper(good), unknown, tokens.make("click", log.public_id)):
        response = client.get(f"/tracking/open/{token}/", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 200 and response.content == PIXEL
        assert response["Content-Type"] == "image/gif"
        assert "no-store" in response["Cache-Control"]
    log = _fresh(log)
    assert log.open_count == 1 and log.opened_at is not None  # only the genuine token counted


def test_open_records_a_masked_ip_and_the_user_agent(client, world):
    log = _queue(world, world.org_a)
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.77")
    client.get(_open_url(log), HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="2001:db8:1234:5678::9")
    open_buffer.flush()
    with org_scope(world.org_a):
        events = list(TrackingEvent.objects.order_by("id"))
    assert [e.ip_masked for e in events] == ["203.0.113.0/24", "2001:db8:1234::/48"]
    assert all(e.user_agent == BROWSER and not e.is_machine for e in events)
    assert "203.0.113.77" not in str(list(TrackingEvent._base_manager.values()))


@pytest.mark.parametrize(
    "method, headers",
    [
        ("get", {"HTTP_USER_AGENT": GMAIL_PROXY}),
        ("get", {"HTTP_USER_AGENT": "Mozilla/5.0 YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"}),
        ("get", {"HTTP_USER_AGENT": BROWSER, "HTTP_SEC_PURPOSE": "prefetch"}),
        ("get", {"HTTP_USER_AGENT": BROWSER, "HTTP_X_MOZ": "prefetch"}),
        ("get", {"HTTP_USER_AGENT": ""}),
        ("head", {"HTTP_USER_AGENT": BROWSER}),
    ],
)
def test_proxies_prefetchers_and_head_are_machine_opens(client, world, method, headers):
    log = _queue(world, world.org_a)
    response = getattr(client, method)(_open_url(log), **headers)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    log = _fresh(log)
    assert log.open_count == 0 and log.opened_at is None and log.machine_open_count == 1
    with org_scope(world.org_a):
        assert TrackingEvent.objects.get().is_machine


def test_click_redirects_only_to_the_stored_url(client, world):
    log = _queue(world, world.org_a)
    url = _click_url(log)
    response = client.get(url + "?url=https://evil.example/&next=https://evil.example/", HTTP_USER_AGENT=BROWSER,
                          HTTP_REFERER="https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "https://example.org/guide"
    assert "no-store" in response["Cache-Control"] and response["Referrer-Policy"] == "no-referrer"
    log = _fresh(log)
    assert log.click_count == 1 and log.clicked_at is not None and log.opened_at is not None
    # Another position of the same message was never stored: no redirect anywhere.
    response = client.get(_click_url(log, position=7), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404 and "Location" not in response


def test_tampered_or_wrong_kind_click_tokens_get_the_fixed_safe_page(client, world):
    log = _queue(world, world.org_a)
    good = tokens.make("click", log.public_id, 0)
    for token in (_tamper(good), tokens.make("open", log.public_id), tokens.make("unsub", log.public_id)):
        response = client.get(f"/tracking/click/{token}/", HTTP_USER_AGENT=BROWSER)
        assert response.status_code == 404 and "Location" not in response
        assert b"This link is not available" in response.content
        assert "no-store" in response["Cache-Control"]
    # Malformed tokens and ids do not even route.
    assert client.get(f"/tracking/click/{log.public_id}/").status_code == 404
    assert client.get(f"/tracking/open/{log.pk}/").status_code == 404
    assert _fresh(log).click_count == 0


def test_a_link_stored_as_non_http_is_never_followed(client, world):
    log = _queue(world, world.org_a)
    TrackedLink._base_manager.filter(email_log_id=log.pk).update(url="javascript:alert(1)")
    response = client.get(_click_url(log), HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 404 and "Location" not in response


def test_machine_clicks_redirect_but_do_not_count(client, world):
    log = _queue(world, world.org_a)
    response = client.head(_click_url(log), HTTP_USER_AGENT="Mimecast Safe Links")
    assert response.status_code == 302
    assert _fresh(log).click_count == 0


def test_another_orgs_token_never_updates_this_orgs_counters(client, world):
    log_a = _queue(world, world.org_a, key="a")
    log_b = _queue(world, world.org_b, key="b")
    client.get(_open_url(log_b), HTTP_USER_AGENT=BROWSER)
    client.get(_click_url(log_b), HTTP_USER_AGENT=BROWSER)
    log_a, log_b = _fresh(log_a), _fresh(log_b)
    assert (log_a.open_count, log_a.click_count) == (0, 0)
    assert (log_b.open_count, log_b.click_count) == (1, 1)
    with org_scope(world.org_a):
        assert not TrackingEvent.objects.exists()
    with org_scope(world.org_b):
        assert TrackingEvent.objects.count() == 2
        assert set(TrackingEvent.objects.values_list("organization_id", flat=True)) == {world.org_b.pk}


def test_unsubscribe_get_asks_and_post_suppresses(client, world):
    log = _queue(world, world.org_a, unsubscribe=True)
    url = f"/tracking/unsubscribe/{tokens.make('unsub', log.public_id)}/"
    assert url in log.body_html
    response = client.get(url)
    assert response.status_code == 200 and b"Unsubscribe" in response.content
    assert "no-store" in response["Cache-Control"]
    with org_scope(world.org_a):
        assert not Suppression.objects.exists()  # a GET (link scanner) changes nothing
    # RFC 8058 one-click: a POST without a CSRF token, from the mail provider.
    client.handler.enforce_csrf_checks = True
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with org_scope(world.org_a):
        assert Suppression.objects.get().email_hash == log.to_hash
    with org_scope(world.org_b):
        assert not Suppression.objects.exists()
    assert client.post(f"/tracking/unsubscribe/{_tamper(tokens.make('unsub', log.public_id))}/").status_code == 404


def test_tracking_endpoints_are_not_rate_limited(client, world):
    log = _queue(world, world.org_a)
    for _ in range(150):
        assert client.get(_open_url(log), HTTP_USER_AGENT=BROWSER).status_code == 200
    assert _fresh(log).open_count == 150
