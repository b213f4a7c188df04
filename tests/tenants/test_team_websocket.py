"""Deactivation on the team page reaches a WebSocket that was opened before it: the socket's next
message is refused and the socket closed (OrgScopedConsumer re-checks the membership per message)."""
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from tenants.consumers import CLOSE_FORBIDDEN
from tenants.models import Membership, Role
from tenants.scope import unscoped
from tests.conftest import login
from tests.tenants.test_websocket_scope import ALLOWED_ORIGIN, application, session_cookie

pytestmark = pytest.mark.postgres


@pytest.mark.django_db(transaction=True)
def test_socket_opened_before_deactivation_is_closed_on_its_next_message(world):
    member = world.member(world.org_a, Role.CASE_MANAGER)
    admin = login(Client(), world.member(world.org_a, Role.ADMIN))
    headers = [(b"origin", ALLOWED_ORIGIN), (b"cookie", session_cookie(member))]

    def deactivate():
        response = admin.post(f"/team/members/{member.public_id}/deactivate/")
        with unscoped():
            return response.status_code, Membership.objects.get(pk=member.pk).is_active

    async def run():
        communicator = WebsocketCommunicator(application, "/ws/test/", headers=headers)
        connected, _ = await communicator.connect()
        await communicator.send_json_to({"ping": 1})
        reply = await communicator.receive_json_from()
        # The admin deactivates them while the socket stays open (a real request, another thread).
        deactivated = await sync_to_async(deactivate, thread_sensitive=False)()
        await communicator.send_json_to({"ping": 2})
        output = await communicator.receive_output(timeout=5)
        await communicator.wait()
        return connected, reply, deactivated, output

    connected, reply, deactivated, output = async_to_sync(run)()
    assert connected and reply["org"] == "agency-a"
    assert deactivated == (302, False)
    assert output == {"type": "websocket.close", "code": CLOSE_FORBIDDEN}
