"""WebSockets: session-cookie auth, Origin allowlist, organization scope per message."""
import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import path

from config.asgi import websocket_app
from surrogates.models import Stage
from tenants.consumers import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, OrgScopedConsumer
from tenants.models import Role
from tenants.scope import unscoped
from tests.conftest import login

pytestmark = pytest.mark.postgres
ALLOWED_ORIGIN = b"http://127.0.0.1:8000"


class StageCountConsumer(OrgScopedConsumer):
    """Answers with how many stages it can see: proves the handler runs inside the scope."""

    async def receive_json(self, content, **kwargs):
        from channels.db import database_sync_to_async

        count = await database_sync_to_async(Stage.objects.count)()
        await self.send_json({"stages": count, "org": self.membership.organization.slug})


application = websocket_app([path("ws/test/", StageCountConsumer.as_asgi())])


def session_cookie(membership) -> bytes:
    client = login(Client(), membership)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def connect(headers):
    async def run():
        communicator = WebsocketCommunicator(application, "/ws/test/", headers=headers)
        connected, code = await communicator.connect()
        reply = None
        if connected:
            await communicator.send_json_to({"ping": 1})
            reply = await communicator.receive_json_from()
        await communicator.disconnect()
        return connected, code, reply

    return async_to_sync(run)()


@pytest.mark.django_db(transaction=True)
def test_member_from_allowed_origin_gets_only_own_org(world):
    connected, _, reply = connect([(b"origin", ALLOWED_ORIGIN), (b"cookie", session_cookie(world.member(world.org_a, Role.CASE_MANAGER)))])
    assert connected
    assert reply == {"stages": 19, "org": "agency-a"}


@pytest.mark.django_db(transaction=True)
def test_foreign_origin_is_refused_even_with_a_valid_session(world):
    cookie = session_cookie(world.member(world.org_a, Role.ADMIN))
    connected, _, _ = connect([(b"origin", b"https://evil.example.com"), (b"cookie", cookie)])
    assert not connected
    connected, _, _ = connect([(b"cookie", cookie)])  # no Origin at all
    assert not connected


@pytest.mark.django_db(transaction=True)
def test_anonymous_socket_is_closed(world):
    connected, code, _ = connect([(b"origin", ALLOWED_ORIGIN)])
    assert not connected and code == CLOSE_UNAUTHENTICATED


@pytest.mark.django_db(transaction=True)
def test_deactivated_member_is_refused(world):
    membership = world.member(world.org_a, Role.INTAKE_SPECIALIST)
    cookie = session_cookie(membership)
    with unscoped():
        type(membership).objects.filter(pk=membership.pk).update(is_active=False)
    connected, code, _ = connect([(b"origin", ALLOWED_ORIGIN), (b"cookie", cookie)])
    assert not connected and code == CLOSE_FORBIDDEN
