"""Sessions: recorded with a masked address, listed, revoked (the other browser is out at once),
idle and absolute expiry (the clock is moved, never slept), password change ends the others."""
import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import sessions
from accounts.models import UserSession
from tenants.models import Role
from tests.accounts.helpers import enrolled, full_login
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.postgres

CHROME_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture
def case_a(world):
    return world.member(world.org_a, Role.CASE_MANAGER)


def _signed_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_sign_in_records_the_session_with_only_the_masked_network(world, case_a):
    device, _ = enrolled(case_a.user)
    client = Client(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT=CHROME_MAC)
    full_login(client, case_a.user, device)
    row = UserSession.objects.get(user=case_a.user)
    assert (row.browser, row.os, row.device) == ("Chrome", "Mac OS X", "Mac")
    assert row.ip_network == "203.0.113.0/24"
    session_key = client.cookies["sessionid"].value
    # The raw row: no full address and no session key anywhere, in any column.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_usersession WHERE id = %s", [row.pk])
        raw = " ".join(str(value) for value in cursor.fetchone())
    assert "203.0.113.77" not in raw and session_key not in raw
    assert row.key_hash == sessions.key_hash(session_key)  # follows the key cycled at verification

    page = client.get("/accounts/sessions/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Chrome on Mac OS X" in body and "203.0.113.0/24" in body and "This session" in body


def test_signing_in_again_in_the_same_session_is_not_an_error(world, case_a):
    """Django keeps the session key when the same user signs in again; the row is updated, not duplicated."""
    device, _ = enrolled(case_a.user)
    client = Client()
    full_login(client, case_a.user, device)
    again = client.post("/accounts/login/", {"username": case_a.user.email, "password": PASSWORD})
    assert again.status_code == 302
    assert UserSession.objects.filter(user=case_a.user).count() == 1


def test_ipv6_is_kept_as_its_64(world, case_a):
    device, _ = enrolled(case_a.user)
    full_login(Client(REMOTE_ADDR="2001:db8:abcd:12:1:2:3:4"), case_a.user, device)
    row = UserSession.objects.get(user=case_a.user)
    assert row.ip_network == "2001:db8:abcd:12::/64"


def test_revoking_a_session_signs_that_browser_out_at_once(world, case_a):
    laptop, phone = login(Client(), case_a), login(Client(), case_a)
    assert phone.get("/surrogates/").status_code == 200
    rows = list(UserSession.objects.filter(user=case_a.user))
    assert len(rows) == 2
    phone_row = UserSession.objects.get(key_hash=sessions.key_hash(phone.cookies["sessionid"].value))

    page = laptop.get("/accounts/sessions/").content.decode()
    assert str(phone_row.public_id) in page
    assert laptop.post(f"/accounts/sessions/{phone_row.public_id}/sign-out/").status_code == 302

    assert not Session.objects.filter(session_key=phone.cookies["sessionid"].value).exists()
    assert _signed_out(phone.get("/surrogates/"))
    assert laptop.get("/surrogates/").status_code == 200
    assert list(UserSession.objects.filter(user=case_a.user)) == [r for r in rows if r.pk != phone_row.pk]


def test_sign_out_all_others_keeps_this_one(world, case_a):
    here, *others = [login(Client(), case_a) for _ in range(3)]
    assert here.post("/accounts/sessions/sign-out-others/").status_code == 302
    assert all(_signed_out(other.get("/surrogates/")) for other in others)
    assert here.get("/surrogates/").status_code == 200
    assert UserSession.objects.filter(user=case_a.user).count() == 1


def test_another_users_session_id_is_404_and_stays(world, case_a):
    admin = world.member(world.org_a, Role.ADMIN)
    mine, theirs = login(Client(), case_a), login(Client(), admin)
    their_row = UserSession.objects.get(user=admin.user)
    assert mine.post(f"/accounts/sessions/{their_row.public_id}/sign-out/").status_code == 404
    assert str(their_row.public_id) not in mine.get("/accounts/sessions/").content.decode()
    assert theirs.get("/surrogates/").status_code == 200


def test_signing_out_forgets_the_row(world, case_a):
    client = login(Client(), case_a)
    assert UserSession.objects.filter(user=case_a.user).count() == 1
    client.post("/accounts/logout/")
    assert UserSession.objects.filter(user=case_a.user).count() == 0


def test_password_change_signs_out_every_other_session(world, case_a):
    here, there = login(Client(), case_a), login(Client(), case_a)
    new = "a-much-better-passphrase-2026"
    response = here.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    assert _signed_out(there.get("/surrogates/"))
    assert here.get("/surrogates/").status_code == 200
    assert UserSession.objects.filter(user=case_a.user).count() == 1


def test_end_all_sessions_works_with_the_cache_session_backend(world, case_a, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    first, second = login(Client(), case_a), login(Client(), case_a)
    assert first.get("/surrogates/").status_code == 200
    assert sessions.end_all_sessions(case_a.user) == 2
    assert _signed_out(first.get("/surrogates/")) and _signed_out(second.get("/surrogates/"))


def test_idle_timeout_default_and_expiry(world, case_a, settings):
    assert settings.SESSION_IDLE_TIMEOUT == 30 * 60 and settings.SESSION_ABSOLUTE_LIFETIME == 12 * 60 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = login(Client(), case_a)
        clock.move_to(start + datetime.timedelta(minutes=29))
        assert client.get("/surrogates/").status_code == 200  # active again: the idle clock restarts
        clock.move_to(start + datetime.timedelta(minutes=29 + 29))
        assert client.get("/surrogates/").status_code == 200
        clock.move_to(start + datetime.timedelta(minutes=29 + 29 + 31))
        assert _signed_out(client.get("/surrogates/"))
        assert not UserSession.objects.filter(user=case_a.user).exists()


def test_absolute_lifetime_ends_even_an_active_session(world, case_a, settings):
    settings.SESSION_ABSOLUTE_LIFETIME = 2 * 60 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = login(Client(), case_a)
        for minutes in range(20, 120, 20):  # busy all along
            clock.move_to(start + datetime.timedelta(minutes=minutes))
            assert client.get("/surrogates/").status_code == 200, minutes
        clock.move_to(start + datetime.timedelta(minutes=121))
        assert _signed_out(client.get("/surrogates/"))


def test_last_active_is_written_at_most_once_a_minute(world, case_a):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = login(Client(), case_a)
        client.get("/surrogates/")

        def session_writes():
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/surrogates/").status_code == 200
            return [q["sql"] for q in captured.captured_queries if "accounts_usersession" in q["sql"]]

        clock.move_to(start + datetime.timedelta(seconds=30))
        assert session_writes() == []
        clock.move_to(start + datetime.timedelta(seconds=61))
        writes = session_writes()
        assert len(writes) == 1 and writes[0].startswith("UPDATE")
        assert UserSession.objects.get(user=case_a.user).last_active_at == start + datetime.timedelta(seconds=61)
        assert session_writes() == []


def test_the_gates_add_no_query_of_their_own_to_a_normal_request(world, case_a):
    """The hot path: once recorded, a verified request costs django-otp's one device lookup by
    primary key and nothing from accounts (no session row read, no write within the minute)."""
    client = login(Client(), case_a)
    client.get("/surrogates/")
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/surrogates/").status_code == 200
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [q for q in sql if "accounts_" in q]
    device_reads = [q for q in sql if "otp_totp_totpdevice" in q]
    assert len(device_reads) == 1 and '"otp_totp_totpdevice"."id" =' in device_reads[0]
    print(f"/surrogates/: {len(sql)} queries, of which {len(device_reads)} django-otp device read, 0 accounts")


def test_the_page_lists_only_live_sessions(world, case_a):
    client = login(Client(), case_a)
    stale = UserSession.objects.create(
        user=case_a.user, key_hash="0" * 64, key_ciphertext="gone-browser",
        created_at=timezone.now() - datetime.timedelta(hours=2),
        last_active_at=timezone.now() - datetime.timedelta(minutes=45),
    )
    page = client.get("/accounts/sessions/").content.decode()
    assert "This session" in page and str(stale.public_id) not in page

