"""Login: 5 POSTs a minute per client address and per account, counted in the shared Redis cache.

A spoofed X-Forwarded-For never changes the key; the 6th attempt gets 429 with Retry-After.
"""
import hashlib
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings
from django_ratelimit.core import _get_window

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LOGIN = "/accounts/login/"
CLIENT = "198.51.100.7"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def fresh_counters():
    assert "redis" in settings.CACHES["ratelimit"]["BACKEND"].lower()
    # Only the rate-limit keys: clear() would FLUSHDB the database the default cache shares.
    caches["ratelimit"].delete_pattern("*")
    yield
    caches["ratelimit"].delete_pattern("*")


def start_of_a_fresh_window(*key_values: str) -> None:
    """django-ratelimit uses fixed 60 s windows (offset per key); don't start a burst at the edge."""
    for _ in range(2):
        now = time.time()
        left = min(_get_window(value, 60) - now for value in key_values)
        if left > 2:
            return
        time.sleep(max(left, 0) + 1)


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def attempt(client, email, *, password="wrong-password-123", **extra):
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def assert_limited(response):
    assert response.status_code == 429, response.status_code
    assert int(response["Retry-After"]) > 0
    assert "Too many requests" in response.content.decode()
    # The 429 page is a page like any other: same security headers.
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response


def test_sixth_attempt_from_one_address_is_429_even_with_a_new_spoofed_forwarded_for_each_time(db):
    start_of_a_fresh_window(CLIENT)
    client = Client(REMOTE_ADDR=CLIENT)
    for n in range(5):
        # A different account each time, so only the per-address limit can stop the sixth.
        response = attempt(client, f"nobody{n}@example.com", HTTP_X_FORWARDED_FOR=f"203.0.113.{n + 1}")
        assert response.status_code == 200, n
    assert_limited(attempt(client, "nobody6@example.com", HTTP_X_FORWARDED_FOR="203.0.113.99"))


@override_settings(TRUSTED_PROXY_HOPS=1)
def test_behind_one_proxy_spoofed_left_entries_do_not_change_the_key(db):
    start_of_a_fresh_window(CLIENT)
    client = Client(REMOTE_ADDR=PROXY)
    for n in range(5):
        # The client forges entries; our proxy appends the address it really saw.
        forwarded = f"203.0.113.{n + 1}, 192.0.2.{n + 1}, {CLIENT}"
        response = attempt(client, f"nobody{n}@example.com", HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == 200, n
    assert_limited(attempt(client, "nobody6@example.com", HTTP_X_FORWARDED_FOR=f"8.8.8.8, {CLIENT}"))

    # Another real client behind the same proxy is not affected.
    other = attempt(client, "nobody7@example.com", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert other.status_code == 200


def test_sixth_attempt_on_one_account_from_six_addresses_is_429(world):
    email = world.member(world.org_a, "admin").user.email
    addresses = [f"198.51.100.{n}" for n in range(10, 16)]
    start_of_a_fresh_window(account_key(email), *addresses)
    for address in addresses[:5]:
        assert attempt(Client(REMOTE_ADDR=address), email).status_code == 200
    # Case and whitespace do not make a new account key.
    assert_limited(attempt(Client(REMOTE_ADDR=addresses[5]), f"  {email.upper()} "))
    # Even the right password is refused for that account until the window passes.
    assert attempt(Client(REMOTE_ADDR="198.51.100.99"), email, password=PASSWORD).status_code == 429


def test_a_successful_login_within_the_limit_works(world):
    start_of_a_fresh_window(CLIENT)
    user = world.member(world.org_a, "case_manager").user
    client = Client(REMOTE_ADDR=CLIENT)
    for _ in range(4):
        assert attempt(client, user.email).status_code == 200
    response = attempt(client, user.email, password=PASSWORD)
    assert response.status_code == 302


def test_get_requests_are_not_counted(db):
    start_of_a_fresh_window(CLIENT)
    client = Client(REMOTE_ADDR=CLIENT)
    for _ in range(10):
        assert client.get(LOGIN).status_code == 200
    assert attempt(client, "nobody@example.com").status_code == 200


def test_counters_live_in_the_shared_cache(db):
    start_of_a_fresh_window(CLIENT)
    attempt(Client(REMOTE_ADDR=CLIENT), "nobody@example.com")
    redis = caches["ratelimit"].client.get_client()
    keys = redis.keys(caches["ratelimit"].make_key("*"))
    assert keys, "no rate-limit counter in Redis"
    # The account key is hashed: the email is never stored in clear.
    assert not any(b"nobody@example.com" in key for key in keys)
