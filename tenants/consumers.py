"""Channels' entry point into the organization scope.

A WebSocket authenticates with the session cookie (AuthMiddlewareStack) from an allowed Origin
(config.asgi), is refused without an active membership, and handles every message inside that
membership's organization scope. The membership is re-checked on each message, so a
deactivated member's open socket is closed on its next message.
"""
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django_otp import DEVICE_ID_SESSION_KEY

from tenants.middleware import ACTIVE_ORG_SESSION_KEY
from tenants.models import Membership
from tenants.scope import org_scope, unscoped

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _passed_mfa(user, persistent_id) -> bool:
    from accounts.mfa import session_device_is_valid

    return session_device_is_valid(user, persistent_id)


@database_sync_to_async
def _membership_for(user, organization_id):
    if not user.is_authenticated or not user.is_active:
        return None
    # Resolving the scope itself is the one lookup that spans organizations, always by this user.
    with unscoped():
        memberships = Membership.objects.filter(user=user, is_active=True).select_related("organization", "user")
        if organization_id is not None:
            memberships = memberships.filter(organization_id=organization_id)
        return memberships.order_by("organization__name").first()


class OrgScopedConsumer(AsyncJsonWebsocketConsumer):
    membership = None

    async def websocket_connect(self, message):
        user = self.scope.get("user")
        session = self.scope.get("session") or {}
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        if not await _passed_mfa(user, session.get(DEVICE_ID_SESSION_KEY)):
            # The same gate as HTTP (accounts.middleware.MFAGateMiddleware): password alone is not enough.
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.membership = await _membership_for(user, session.get(ACTIVE_ORG_SESSION_KEY))
        if self.membership is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        with org_scope(self.membership.organization):
            await super().websocket_connect(message)

    async def dispatch(self, message):
        if self.membership is None or message["type"] == "websocket.connect":
            return await super().dispatch(message)
        if message["type"] != "websocket.disconnect":
            current = await _membership_for(self.membership.user, self.membership.organization_id)
            if current is None:
                await self.close(code=CLOSE_FORBIDDEN)
                return
        with org_scope(self.membership.organization):
            return await super().dispatch(message)
