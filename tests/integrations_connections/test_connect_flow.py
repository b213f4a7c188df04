"""The settings page's OAuth connect flow, end to end with the Django test client and the local
fake provider: consent -> callback -> tokens stored encrypted; state single use, 5 minutes, only
for the user who started it; friendly messages for every failure; disconnect revokes."""
import datetime
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from integrations.connections.models import OAuthConnection
from tenants.models import ActivityEvent, Role
from tests.conftest import login
from tests.integrations_connections.conftest import make_connection

pytestmark = pytest.mark.django_db
PAGE = "/settings/integrations/"


@pytest.fixture
def member(world):
    return world.member(world.org_a, Role.CASE_MANAGER)


@pytest.fixture
def signed_in(client, member):
    return login(client, member)


def start(client, provider="gmail"):
    response = client.post(f"{PAGE}{provider}/connect/")
    assert response.status_code == 302
    return response["Location"]


def callback_path(fake, authorize_url):
    back = urlsplit(fake.consent(authorize_url))
    return f"{back.path}?{back.query}"


def connections(member, provider="gmail"):
    return list(OAuthConnection._base_manager.filter(membership=member, provider=provider))


def page_text(client):
    return client.get(PAGE).content.decode()


def test_full_google_connect_flow_stores_encrypted_tokens_and_shows_the_account(signed_in, member, fake_oauth, caplog):
    caplog.set_level(logging.DEBUG)
    authorize = start(signed_in, "gmail")
    parts = urlsplit(authorize)
    params = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert authorize.startswith(fake_oauth.base_url + "/o/oauth2/v2/auth?")
    assert params["client_id"] == "cradle-test-client" and params["response_type"] == "code"
    assert params["access_type"] == "offline" and params["prompt"] == "consent"
    assert "https://www.googleapis.com/auth/gmail.send" in params["scope"].split()
    assert params["code_challenge_method"] == "S256" and len(params["state"]) >= 32
    assert params["redirect_uri"].endswith("/settings/integrations/gmail/callback/")

    path = callback_path(fake_oauth, authorize)
    code = parse_qs(urlsplit(path).query)["code"][0]
    response = signed_in.get(path, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Gmail connected as owner@mail.test" in html

    [conn] = connections(member)
    assert conn.status == OAuthConnection.Status.CONNECTED and conn.account_email == "owner@mail.test"
    assert conn.access_token in fake_oauth.access_tokens and conn.refresh_token in fake_oauth.refresh_tokens
    assert 3500 < (conn.expires_at - timezone.now()).total_seconds() < 3600
    assert "gmail.send" in conn.scopes
    [exchange] = fake_oauth.token_requests()
    form = parse_qs(exchange["body"].decode())
    assert form["grant_type"] == ["authorization_code"] and form["code"] == [code] and form["code_verifier"]
    assert form["redirect_uri"] == [params["redirect_uri"]]
    # Raw SQL: ciphertext only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token, account_email FROM integrations_oauthconnection WHERE id = %s", [conn.pk])
        row = cursor.fetchone()
    for stored, plain in zip(row, (conn.access_token, conn.refresh_token, conn.account_email)):
        assert stored.startswith("gAAAA") and plain not in stored
    # The page shows the account, never a token; nothing secret was logged.
    page = page_text(signed_in)
    assert "owner@mail.test" in page and "Connected" in page
    for secret in (conn.access_token, conn.refresh_token, code, params["state"]):
        assert secret not in page and secret not in caplog.text
    assert ActivityEvent.objects.model._base_manager.filter(action="integration.connected", organization=member.organization).exists()


def test_the_settings_page_lets_its_connect_forms_reach_the_providers(signed_in, fake_oauth):
    """Browsers hold a form POST's redirect to CSP form-action; without the providers' origin there,
    clicking Connect would be blocked."""
    csp = signed_in.get(PAGE)["Content-Security-Policy"]
    form_action = next(part for part in csp.split(";") if part.strip().startswith("form-action"))
    assert "'self'" in form_action and fake_oauth.base_url in form_action


def test_zoom_connect_uses_basic_client_auth_and_users_me(signed_in, member, fake_oauth):
    authorize = start(signed_in, "zoom")
    assert authorize.startswith(fake_oauth.base_url + "/oauth/authorize?")
    signed_in.get(callback_path(fake_oauth, authorize))
    [conn] = connections(member, "zoom")
    assert conn.account_email == "owner@mail.test" and conn.refresh_token
    [exchange] = fake_oauth.token_requests()
    assert exchange["path"] == "/oauth/token" and exchange["headers"]["Authorization"].startswith("Basic ")
    assert b"client_secret" not in exchange["body"]
    assert any(r["path"] == "/v2/users/me" for r in fake_oauth.requests)


def test_a_state_works_once(signed_in, member, fake_oauth):
    path = callback_path(fake_oauth, start(signed_in))
    signed_in.get(path)
    first = connections(member)[0]
    response = signed_in.get(path, follow=True)
    assert "expired or was not started from this session" in response.content.decode()
    assert len(fake_oauth.token_requests()) == 1
    assert connections(member)[0].access_token == first.access_token


def test_a_state_older_than_five_minutes_is_refused(signed_in, member, fake_oauth):
    path = callback_path(fake_oauth, start(signed_in))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=5, seconds=5)):
        response = signed_in.get(path, follow=True)
    assert "expired" in response.content.decode()
    assert connections(member) == [] and fake_oauth.token_requests() == []


def test_a_state_four_minutes_old_still_works(signed_in, member, fake_oauth):
    path = callback_path(fake_oauth, start(signed_in))
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=4)):
        signed_in.get(path)
    assert len(connections(member)) == 1


def test_another_users_state_is_refused(signed_in, member, world, fake_oauth):
    path = callback_path(fake_oauth, start(signed_in))
    other = world.member(world.org_a, Role.ADMIN)
    attacker = login(Client(), other)
    response = attacker.get(path, follow=True)
    assert "expired or was not started from this session" in response.content.decode()
    assert connections(other) == [] and connections(member) == [] and fake_oauth.token_requests() == []


def test_a_state_is_refused_after_switching_user_in_the_same_browser(signed_in, member, world, fake_oauth):
    path = callback_path(fake_oauth, start(signed_in))
    other = world.member(world.org_a, Role.ADMIN)
    login(signed_in, other)  # a different user signs in on this browser
    signed_in.get(path)
    assert connections(other) == [] and connections(member) == [] and fake_oauth.token_requests() == []


def test_signed_out_callback_sends_to_login_without_the_code(member, fake_oauth, client, signed_in):
    path = callback_path(fake_oauth, start(signed_in))
    response = Client().get(path)
    assert response.status_code == 302 and "code=" not in response["Location"] and "state" not in response["Location"]
    assert fake_oauth.token_requests() == []


def test_refresh_token_omitted_on_a_later_consent_is_kept(signed_in, member, fake_oauth):
    signed_in.get(callback_path(fake_oauth, start(signed_in)))
    first = connections(member)[0]
    fake_oauth.omit_refresh_token = True
    signed_in.get(callback_path(fake_oauth, start(signed_in)))
    [again] = connections(member)
    assert again.access_token != first.access_token
    assert again.refresh_token == first.refresh_token != ""


def test_a_different_account_on_reconsent_does_not_inherit_the_old_refresh_token(signed_in, member, fake_oauth):
    signed_in.get(callback_path(fake_oauth, start(signed_in)))
    fake_oauth.omit_refresh_token = True
    fake_oauth.account_email = "someone-else@mail.test"
    signed_in.get(callback_path(fake_oauth, start(signed_in)))
    [again] = connections(member)
    assert again.account_email == "someone-else@mail.test" and again.refresh_token == ""


def test_reconnecting_clears_reconnect_needed(signed_in, member, fake_oauth):
    conn = make_connection(member, fake=fake_oauth)
    OAuthConnection._base_manager.filter(pk=conn.pk).update(status=OAuthConnection.Status.RECONNECT_NEEDED, last_error="x")
    assert "Reconnect needed" in page_text(signed_in)
    signed_in.get(callback_path(fake_oauth, start(signed_in)))
    [again] = connections(member)
    assert again.status == OAuthConnection.Status.CONNECTED and again.last_error == ""


def test_declined_consent_is_a_friendly_message(signed_in, member, fake_oauth):
    fake_oauth.deny_consent = True
    response = signed_in.get(callback_path(fake_oauth, start(signed_in)), follow=True)
    assert response.status_code == 200
    assert "the permission request was declined" in response.content.decode()
    assert connections(member) == []


def test_missing_permissions_are_refused(signed_in, member, fake_oauth):
    fake_oauth.granted_scope = "openid email"  # the member unticked Gmail on Google's consent screen
    response = signed_in.get(callback_path(fake_oauth, start(signed_in)), follow=True)
    assert "without every permission" in response.content.decode()
    assert connections(member) == []


@pytest.mark.parametrize("status, text", [(500, "could not complete the connection right now"), (400, "refused the connection")])
def test_provider_errors_on_the_code_exchange_are_friendly(signed_in, member, fake_oauth, status, text, caplog):
    authorize = start(signed_in)
    path = callback_path(fake_oauth, authorize)
    fake_oauth.token_status = status
    response = signed_in.get(path, follow=True)
    assert response.status_code == 200 and text in response.content.decode()
    assert connections(member) == []
    code = parse_qs(urlsplit(path).query)["code"][0]
    assert code not in caplog.text


def test_provider_unreachable_is_friendly(signed_in, member, fake_oauth, settings):
    path = callback_path(fake_oauth, start(signed_in))
    settings.GOOGLE_OAUTH_TOKEN_URL = "http://127.0.0.1:9/token"
    response = signed_in.get(path, follow=True)
    assert "could not complete the connection right now" in response.content.decode()


@pytest.mark.parametrize("query", ["", "?state=forged&code=4/abc", "?code=4/abc", "?error=access_denied&state=x"])
def test_callbacks_without_a_valid_state_are_refused(signed_in, member, fake_oauth, query):
    start(signed_in)
    response = signed_in.get(f"{PAGE}gmail/callback/{query}", follow=True)
    assert response.status_code == 200 and "expired or was not started from this session" in response.content.decode()
    assert fake_oauth.token_requests() == []


def test_a_state_for_another_provider_is_refused(signed_in, member, fake_oauth):
    back = urlsplit(fake_oauth.consent(start(signed_in, "gmail")))
    signed_in.get(f"{PAGE}google_calendar/callback/?{back.query}")
    assert OAuthConnection._base_manager.count() == 0 and fake_oauth.token_requests() == []


def test_disconnect_revokes_at_the_provider_and_deletes_the_tokens(signed_in, member, fake_oauth):
    signed_in.get(callback_path(fake_oauth, start(signed_in)))
    conn = connections(member)[0]
    response = signed_in.post(f"{PAGE}gmail/disconnect/", follow=True)
    assert "Gmail disconnected." in response.content.decode()
    assert connections(member) == []
    [revoke] = [r for r in fake_oauth.requests if r["path"] == "/revoke"]
    assert parse_qs(revoke["body"].decode())["token"] == [conn.refresh_token]


def test_zoom_disconnect_uses_basic_auth_and_the_token_query(signed_in, member, fake_oauth):
    signed_in.get(callback_path(fake_oauth, start(signed_in, "zoom")))
    conn = connections(member, "zoom")[0]
    signed_in.post(f"{PAGE}zoom/disconnect/")
    [revoke] = [r for r in fake_oauth.requests if r["path"] == "/oauth/revoke"]
    assert parse_qs(revoke["query"])["token"] == [conn.refresh_token]
    assert revoke["headers"]["Authorization"].startswith("Basic ")


def test_disconnect_deletes_the_tokens_even_when_the_revoke_fails(signed_in, member, fake_oauth):
    make_connection(member, fake=fake_oauth)
    fake_oauth.revoke_status = 503
    response = signed_in.post(f"{PAGE}gmail/disconnect/", follow=True)
    assert response.status_code == 200 and connections(member) == []


def test_a_provider_without_credentials_shows_not_configured(signed_in, member, fake_oauth, settings):
    settings.INTEGRATIONS_ZOOM_CLIENT_ID = ""
    html = page_text(signed_in)
    assert 'data-provider="zoom"' in html and "Not configured" in html
    response = signed_in.post(f"{PAGE}zoom/connect/", follow=True)
    assert "Zoom is not configured for this site." in response.content.decode()
    assert fake_oauth.requests == []


def test_unknown_provider_is_404(signed_in):
    assert signed_in.post(f"{PAGE}myspace/connect/").status_code == 404
    assert signed_in.get(f"{PAGE}myspace/callback/").status_code == 404


def test_connect_and_disconnect_need_post(signed_in, fake_oauth):
    assert signed_in.get(f"{PAGE}gmail/connect/").status_code == 405
    assert signed_in.get(f"{PAGE}gmail/disconnect/").status_code == 405


def test_signed_out_visitors_are_sent_to_login(client):
    assert client.get(PAGE).status_code == 302
    assert client.post(f"{PAGE}gmail/connect/").status_code == 302


def test_members_see_and_touch_only_their_own_connections(world, fake_oauth):
    owner = world.member(world.org_a, Role.CASE_MANAGER)
    make_connection(owner, fake=fake_oauth)  # account_email = owner's address
    for other in (world.member(world.org_a, Role.ADMIN), world.member(world.org_b, Role.ADMIN)):
        browser = login(Client(), other)
        assert owner.user.email not in browser.get(PAGE).content.decode()
        browser.post(f"{PAGE}gmail/disconnect/")
    assert len(connections(owner)) == 1
    assert not any(r["path"] == "/revoke" for r in fake_oauth.requests)


def test_admin_pages_never_show_tokens_or_the_account(client, world, fake_oauth):
    owner = world.member(world.org_a, Role.CASE_MANAGER)
    conn = make_connection(owner, fake=fake_oauth)
    login(client, world.member(world.org_a, Role.ADMIN))
    listing = client.get("/admin/integrations/oauthconnection/")
    detail = client.get(f"/admin/integrations/oauthconnection/{conn.pk}/change/")
    assert listing.status_code == 200 and detail.status_code == 200
    for response in (listing, detail):
        html = response.content.decode()
        assert conn.access_token not in html and conn.refresh_token not in html
        assert "gAAAA" not in html and owner.user.email not in html.replace(str(owner), "")
    # Another organization's admin does not see it at all.
    login(client, world.member(world.org_b, Role.ADMIN))
    assert client.get(f"/admin/integrations/oauthconnection/{conn.pk}/change/").status_code in (302, 404)
