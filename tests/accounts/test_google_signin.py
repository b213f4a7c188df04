"""Google sign-in, the whole OpenID Connect flow against a local fake provider.

The Django test client plays the browser on our side; `requests` follows the provider's authorize
redirect (which answers at once, as after consent). Everything between (discovery, token exchange,
JWKS, the ID token's signature and claims) is real HTTP to the fake.
"""
import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import mail
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from social_django.models import UserSocialAuth

from auditlog.models import AuditEntry
from tenants.invitations import invitation_create
from tenants.models import Invitation, Membership, Role, User
from tenants.scope import org_scope, unscoped
from tests.accounts.helpers import current_code
from tests.fakes.google_oidc import CLIENT_ID, fake_google, google_provider  # noqa: F401  (fixtures)

pytestmark = pytest.mark.postgres

BEGIN = "/auth/login/google-oauth2/"
COMPLETE = "/auth/complete/google-oauth2/"


def start(client, next_url=None) -> str:
    response = client.post(BEGIN, {"next": next_url} if next_url is not None else {})
    assert response.status_code == 302, response.content[:300]
    return response["Location"]


def at_provider(authorize_url: str) -> str:
    """The browser at the provider: it redirects straight back to our callback."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == 302
    return response.headers["Location"]


def back_from_provider(client, callback_url: str):
    parts = urlsplit(callback_url)
    assert parts.path == COMPLETE
    return client.get(f"{parts.path}?{parts.query}")


def sign_in(client, next_url=None):
    return back_from_provider(client, at_provider(start(client, next_url)))


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def refused(response, status: int, text: str):
    assert response.status_code == status, response.content[:500]
    body = response.content.decode()
    assert 'data-testid="signin-refused"' in body and text in body, body[:800]


def invite(world, email, role=Role.CASE_MANAGER):
    admin = world.member(world.org_a, Role.ADMIN)
    with org_scope(world.org_a):
        invitation, sent = invitation_create(membership=admin, email=email, role=role)
    assert sent
    return invitation


def chain(org, action):
    with org_scope(org):
        return list(AuditEntry.objects.filter(organization=org, action=action))


def test_login_page_offers_google_when_configured(client, world, fake_google, settings):
    body = client.get("/accounts/login/").content.decode()
    assert 'data-testid="google-signin"' in body and f'action="{BEGIN}"' in body
    settings.GOOGLE_OIDC_CLIENT_ID = ""
    assert 'data-testid="google-signin"' not in client.get("/accounts/login/").content.decode()
    assert client.post(BEGIN).status_code == 404  # not configured: no flow at all


def test_pages_with_the_google_form_let_it_redirect_to_the_provider(client, world, fake_google):
    # The form posts to us and we redirect to the provider: browsers apply CSP form-action to that hop.
    csp = client.get("/accounts/login/")["Content-Security-Policy"]
    form_action = next(d for d in csp.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == ["'self'", fake_google.url]
    invitation_create_link = invite(world, "csp@agency-a.test")
    assert invitation_create_link  # the page reached by the emailed link carries the same allowance
    link = [line for line in mail.outbox[-1].body.splitlines() if "/invite/" in line][0].strip()
    assert fake_google.url in client.get(urlsplit(link).path)["Content-Security-Policy"]
    assert fake_google.url not in client.get("/healthz").get("Content-Security-Policy", "")


def test_authorize_request_carries_state_nonce_and_our_callback(client, world, fake_google):
    url = start(client)
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(f"{fake_google.url}/o/oauth2/v2/auth?")
    assert params["client_id"] == CLIENT_ID and params["response_type"] == "code"
    assert params["redirect_uri"] == f"http://testserver{COMPLETE}"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert set(params["scope"].split()) == {"openid", "email", "profile"}
    assert client.get(BEGIN).status_code == 405  # starting is a POST (CSRF-protected)


def test_invited_person_signs_in_and_the_invitation_becomes_a_membership(client, world, fake_google):
    invitation = invite(world, "new.person@agency-a.test")
    fake_google.identity = {"sub": "g-42", "email": "New.Person@agency-a.test", "email_verified": True, "name": "New Person"}

    response = sign_in(client)

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email="new.person@agency-a.test")
    assert signed_in_as(client) == str(user.pk)
    assert not user.has_usable_password() and user.full_name == "New Person"
    with unscoped():
        membership = Membership.objects.get(user=user)
        invitation.refresh_from_db()
    assert membership.organization == world.org_a and membership.role == Role.CASE_MANAGER and membership.is_active
    assert invitation.state == Invitation.State.ACCEPTED and invitation.accepted_by == user
    link = UserSocialAuth.objects.get(user=user)
    assert link.provider == "google-oauth2" and link.uid == "g-42"
    assert "access_token" not in link.extra_data and "id_token" not in link.extra_data  # nothing kept
    assert [e.actor_id for e in chain(world.org_a, "auth.login_succeeded")] == [user.pk]
    assert len(chain(world.org_a, "invitation.accepted")) == 1


def test_existing_member_signs_in_and_lands_on_the_local_next_path(client, world, fake_google):
    member = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    fake_google.identity = {"sub": "g-7", "email": member.user.email, "email_verified": True}
    response = sign_in(client, next_url="/surrogates/?page=2")
    assert response.status_code == 302 and response["Location"] == "/surrogates/?page=2"
    assert signed_in_as(client) == str(member.user.pk)


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "http://testserver.evil.example/"])
def test_open_redirect_attempt_lands_on_the_home_page(client, world, fake_google, next_url):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-8", "email": member.user.email, "email_verified": True}
    response = sign_in(client, next_url=next_url)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == str(member.user.pk)


@pytest.mark.parametrize(
    "tamper",
    [
        {"nonce": "not-the-nonce-we-sent"},
        {"aud": "someone-elses-client-id"},
        {"iss": "https://accounts.evil.example"},
        {"exp": 1_000_000},
    ],
    ids=["wrong-nonce", "wrong-audience", "wrong-issuer", "expired"],
)
def test_id_token_with_a_wrong_claim_is_refused(client, world, fake_google, tamper):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-9", "email": member.user.email, "email_verified": True}
    fake_google.tamper = tamper
    refused(sign_in(client), 400, "could not verify")
    assert signed_in_as(client) is None
    assert not UserSocialAuth.objects.exists()


def test_id_token_signed_with_another_key_is_refused(client, world, fake_google):
    from cryptography.hazmat.primitives.asymmetric import rsa

    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-10", "email": member.user.email, "email_verified": True}
    sign_in(Client())  # our side has now fetched (and cached) the real JWKS
    real_key = fake_google.key
    fake_google.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # same kid, other key
    try:
        refused(sign_in(client), 400, "could not verify")
    finally:
        fake_google.key = real_key
    assert signed_in_as(client) is None


def test_unverified_email_is_refused_and_audited_like_a_failed_password(client, world, fake_google):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-11", "email": member.user.email, "email_verified": False}
    refused(sign_in(client), 403, "has not verified this email")
    assert signed_in_as(client) is None


def test_no_account_and_no_invitation_is_refused_and_nobody_is_created(client, world, fake_google):
    fake_google.identity = {"sub": "g-12", "email": "stranger@elsewhere.test", "email_verified": True}
    refused(sign_in(client), 403, "no Cradle account or pending invitation")
    assert not User.objects.filter(email="stranger@elsewhere.test").exists()
    assert signed_in_as(client) is None


def test_deactivated_member_without_invitation_is_refused_and_audited(client, world, fake_google, settings):
    member = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    other = world.member(world.org_a, Role.CASE_MANAGER)
    with unscoped():
        Membership.objects.filter(pk=member.pk).update(is_active=False)
    fake_google.identity = {"sub": "g-13", "email": member.user.email, "email_verified": True}
    # The account exists, its access was removed: say that, not "there is no account".
    refused(sign_in(client), 403, "Your access has been removed.")
    assert signed_in_as(client) is None
    # A known, active member refused by a rule is in their organization's chain, email hashed
    # (an unverified address is attributed to nobody: anyone can type any address at Google).
    settings.GOOGLE_SIGNIN_ALLOWED_DOMAINS = ["elsewhere.test"]
    fake_google.identity = {"sub": "g-14", "email": other.user.email, "email_verified": True}
    refused(sign_in(Client()), 403, "email domain cannot sign in")
    failed = chain(world.org_a, "auth.login_failed")
    assert len(failed) == 1 and failed[0].actor_id == other.user.pk
    assert other.user.email not in str(failed[0].data)


def test_expired_or_revoked_invitation_does_not_let_anyone_in(client, world, fake_google):
    invitation = invite(world, "late@agency-a.test")
    with unscoped():
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=invitation.created_at)
    fake_google.identity = {"sub": "g-15", "email": "late@agency-a.test", "email_verified": True}
    refused(sign_in(client), 403, "no Cradle account or pending invitation")
    assert not User.objects.filter(email="late@agency-a.test").exists()


def test_reused_state_is_refused(client, world, fake_google):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-16", "email": member.user.email, "email_verified": True}
    callback = at_provider(start(client))
    assert back_from_provider(client, callback).status_code == 302
    client.logout()
    refused(back_from_provider(client, callback), 400, "expired or was already used")
    assert signed_in_as(client) is None


def test_state_from_another_browser_or_missing_is_refused(client, world, fake_google):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-17", "email": member.user.email, "email_verified": True}
    callback = at_provider(start(Client()))  # someone else's browser began this sign-in
    refused(back_from_provider(client, callback), 400, "expired or was already used")
    code = parse_qs(urlsplit(callback).query)["code"][0]
    refused(client.get(COMPLETE, {"code": code}), 400, "expired or was already used")  # no state at all
    assert signed_in_as(client) is None


def test_cancelled_consent_gets_a_friendly_page(client, world, fake_google):
    fake_google.authorize_error = "access_denied"
    calls = fake_google.token_calls
    refused(sign_in(client), 200, "You cancelled signing in with Google")
    assert signed_in_as(client) is None and fake_google.token_calls == calls


def test_provider_errors_get_a_friendly_page(client, world, fake_google):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-18", "email": member.user.email, "email_verified": True}
    fake_google.authorize_error = "server_error"
    response = sign_in(client)
    assert 400 <= response.status_code < 500 or response.status_code == 502
    assert 'data-testid="signin-refused"' in response.content.decode()
    fake_google.authorize_error = ""
    fake_google.token_error = "invalid_grant"  # the code was rejected at the token endpoint
    response = sign_in(client)
    assert response.status_code in (400, 502) and 'data-testid="signin-refused"' in response.content.decode()
    assert signed_in_as(client) is None


def test_provider_unreachable_gets_a_friendly_page(client, world, fake_google, settings):
    callback = at_provider(start(client))
    settings.GOOGLE_OIDC_ENDPOINT = "http://127.0.0.1:9"  # nothing listens: discovery fails
    response = back_from_provider(client, callback)
    assert response.status_code in (400, 502) and 'data-testid="signin-refused"' in response.content.decode()


def test_allowed_domains_setting_refuses_other_domains(client, world, fake_google, settings):
    invite(world, "someone@gmail.example")
    settings.GOOGLE_SIGNIN_ALLOWED_DOMAINS = ["agency-a.test"]
    fake_google.identity = {"sub": "g-19", "email": "someone@gmail.example", "email_verified": True}
    refused(sign_in(client), 403, "email domain cannot sign in")
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-20", "email": member.user.email, "email_verified": True}
    assert sign_in(Client()).status_code == 302


def test_same_address_with_a_different_google_subject_is_refused(client, world, fake_google):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-21", "email": member.user.email, "email_verified": True}
    assert sign_in(Client()).status_code == 302
    fake_google.identity = {"sub": "g-22-recreated", "email": member.user.email, "email_verified": True}
    refused(sign_in(client), 403, "linked to a different Google account")


def test_password_login_switched_off_keeps_google(client, world, fake_google, settings):
    settings.PASSWORD_LOGIN_ENABLED = False
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="google-signin"' in body and 'id="id_password"' not in body
    member = world.member(world.org_a, Role.CASE_MANAGER)
    assert client.post("/accounts/login/", {"username": member.user.email, "password": "x"}).status_code == 404
    settings.GOOGLE_OIDC_CLIENT_ID = ""
    assert client.get("/accounts/login/").status_code == 404


def test_code_state_and_tokens_never_reach_the_logs(client, world, fake_google, caplog):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    fake_google.identity = {"sub": "g-23", "email": member.user.email, "email_verified": True}
    fake_google.tamper = {"nonce": "wrong"}
    caplog.set_level(logging.DEBUG)
    callback = at_provider(start(client))
    params = {k: v[0] for k, v in parse_qs(urlsplit(callback).query).items()}
    back_from_provider(client, callback)
    back_from_provider(client, callback)  # and a replay
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert params["code"] not in logged and params["state"] not in logged
    assert "eyJ" not in logged  # no JWT


def test_invitation_email_link_then_google_sign_in_accepts(client, world, fake_google):
    invite(world, "linked@agency-a.test", role=Role.INTAKE_SPECIALIST)
    link = urlsplit([line for line in mail.outbox[-1].body.splitlines() if "/invite/" in line][0].strip()).path
    page = client.get(link)
    assert page.status_code == 200 and 'data-testid="google-signin"' in page.content.decode()
    fake_google.identity = {"sub": "g-24", "email": "linked@agency-a.test", "email_verified": True}
    response = sign_in(client, next_url=link)
    assert response.status_code == 302 and response["Location"] == link
    # The MFA gate comes first (accounts.middleware): a new person enrolls, then goes on.
    held = client.get(link)
    assert held["Location"].startswith("/accounts/mfa/enroll/")
    client.get(held["Location"])
    device = TOTPDevice.objects.get(user__email="linked@agency-a.test")
    assert client.post(held["Location"], {"code": current_code(device)}).status_code == 200
    assert client.get(link)["Location"] == "/"  # already accepted by them: straight in
    with unscoped():
        assert Membership.objects.get(user__email="linked@agency-a.test").role == Role.INTAKE_SPECIALIST
