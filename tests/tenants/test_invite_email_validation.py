"""POST /team/invite/ takes exactly one address: lists, header injection, control characters and
malformed addresses are a form error with nothing stored and nothing sent."""
import pytest
from django.core import mail

from tenants.models import Invitation, Role
from tenants.scope import unscoped
from tests.conftest import login

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize(
    "email",
    [
        "a@b.co, evil@evil.com",
        "a@b.co,evil@evil.com",
        "a@b.co; evil@evil.com",
        "a@b@c",
        "x\x00@y.com",
        "a@b.co\nBcc: x@evil.com",
        "a@b.co\r\nBcc: x@evil.com",
        "a b@c.com",
        "a@b.co\tx",
        "no-at-sign",
        "",
        "a@" + "b" * 250 + ".com",
    ],
)
def test_bad_address_is_a_form_error_and_nothing_is_stored_or_sent(client, world, email):
    login(client, world.member(world.org_a, Role.ADMIN))
    response = client.post("/team/invite/", {"email": email, "role": Role.CASE_MANAGER}, follow=True)
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    with unscoped():
        assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_good_address_is_normalised_and_sent_once(client, world):
    login(client, world.member(world.org_a, Role.ADMIN))
    response = client.post("/team/invite/", {"email": "  Pat.Smith+x@Example.COM ", "role": Role.CASE_MANAGER}, follow=True)
    assert "Invitation sent to pat.smith+x@example.com" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["pat.smith+x@example.com"] and message.cc == [] and message.bcc == []
