"""A small shared world: two agencies with a member of each role, and helpers to act in them.

Service-backed tests carry a marker (postgres, redis, browser, clamd). Where the service is missing
they are skipped with a reason; under CI (CI=true) a missing service fails the run instead.
"""
import os

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection

from tenants.models import Role
from tenants.scope import org_scope
from tenants.services import member_add, organization_create

PASSWORD = "correct-horse-battery-staple"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _service_missing(marker: str) -> str | None:
    if marker == "postgres" and connection.vendor != "postgresql":
        return "PostgreSQL is not running here (tests ran on SQLite)"
    if marker == "redis" and "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        return "Redis is not running here"
    if marker == "browser" and not os.path.exists(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")):
        return "Chromium is not installed (/usr/bin/chromium)"
    if marker == "clamd":
        from forms_public.uploads.clamd import ping

        if not settings.CLAMAV_ADDRESS or not ping(settings.CLAMAV_ADDRESS):
            return f"clamd does not answer at {settings.CLAMAV_ADDRESS or '(CLAMAV_ADDRESS unset)'} (scripts/clamd-start)"
    return None


def _missing_reason(item) -> str | None:
    for marker in ("postgres", "redis", "browser", "clamd"):
        if item.get_closest_marker(marker) is not None:
            reason = _service_missing(marker)
            if reason:
                return reason
    return None


def pytest_runtest_setup(item):
    reason = _missing_reason(item)
    if reason is None:
        return
    if IN_CI:
        pytest.fail(f"CI must run every service-backed test, but {reason}.", pytrace=False)
    pytest.skip(f"SKIPPED, service missing: {reason}")


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with empty rate-limit buckets (only this run's keys: see KEY_PREFIX)."""
    cache = caches["ratelimit"]
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()
    yield


class World:
    """Two organizations (a, b), each with intake, case manager and admin memberships."""

    def __init__(self):
        self.org_a = organization_create(name="Agency A", slug="agency-a", timezone="America/New_York")
        self.org_b = organization_create(name="Agency B", slug="agency-b", timezone="America/Los_Angeles")
        self.members = {}
        for org in (self.org_a, self.org_b):
            with org_scope(org):
                for role in Role.values:
                    self.members[(org.slug, role)] = member_add(
                        organization=org, email=f"{role}@{org.slug}.test", role=role, password=PASSWORD
                    )

    def member(self, org, role):
        return self.members[(org.slug, role)]


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def scope_a(world):
    with org_scope(world.org_a):
        yield world.org_a


def login_user(client, user, **session_values):
    """Signed in and past the second factor (accounts.mfa), as after password + authenticator code."""
    from accounts.mfa import demo_device
    from django_otp import DEVICE_ID_SESSION_KEY

    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = demo_device(user=user).persistent_id
    session.update(session_values)
    session.save()
    return client


def login(client, membership):
    return login_user(client, membership.user, active_org_id=membership.organization_id)
