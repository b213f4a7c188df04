"""seed_demo: a booking link per demo org in the --json manifest, idempotent."""
import json
import uuid
from io import StringIO
from urllib.parse import urlparse

import pytest
from django.core.management import call_command

from booking.models import AppointmentType, BookingLink
from tenants.models import Organization
from tenants.scope import org_scope

pytestmark = pytest.mark.django_db


def _manifest():
    out = StringIO()
    call_command("seed_demo", "--json", "--base-url", "http://testserver", stdout=out)
    return json.loads(out.getvalue())


def test_manifest_lists_booking_urls_and_type_ids_and_is_stable(client):
    first = _manifest()
    second = _manifest()
    assert first == second
    for entry in first["orgs"]:
        assert {"slug", "name", "users", "surrogates", "booking_urls", "appointment_type_ids"} <= set(entry)
        assert len(entry["booking_urls"]) == 1
        url = entry["booking_urls"][0]
        assert url.startswith("http://testserver/book/")
        org = Organization.objects.get(slug=entry["slug"])
        with org_scope(org):
            link = BookingLink.objects.get()
            assert link.membership.role == "case_manager"
            ids = {str(uuid.UUID(value)) for value in entry["appointment_type_ids"]}
            assert ids == {str(t.public_id) for t in AppointmentType.objects.filter(membership=link.membership)}
            assert len(ids) == 2
        page = client.get(urlparse(url).path)
        assert page.status_code == 200
        assert "Intro call" in page.content.decode() and "Screening call" in page.content.decode()
