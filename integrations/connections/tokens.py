"""fresh_access_token: the one way callers (Gmail sends, Zoom meetings, Calendar) get a token.

The refresh happens under a row lock (SELECT ... FOR UPDATE) and re-checks the expiry once the
lock is held, so two workers that both see an expiring token refresh it once: the second waits
and then finds the new token. Zoom rotates refresh tokens on every refresh, so a double refresh
would even invalidate the first worker's grant.
"""
import datetime
import logging

from django.db import transaction
from django.utils import timezone

from integrations.connections import client, providers
from integrations.connections.errors import ReconnectNeeded, TokenUnavailable
from integrations.connections.models import OAuthConnection

logger = logging.getLogger(__name__)
REFRESH_MARGIN = datetime.timedelta(minutes=2)


def _connection_qs(membership, provider: str):
    # The scoped manager fails closed without an org in scope; the explicit org filter stays anyway.
    return OAuthConnection.objects.filter(
        organization_id=membership.organization_id, membership_id=membership.pk, provider=provider
    )


def _expiring(connection: OAuthConnection) -> bool:
    return connection.expires_at is not None and connection.expires_at - REFRESH_MARGIN <= timezone.now()


def _usable(connection) -> bool:
    return connection is not None and connection.status == OAuthConnection.Status.CONNECTED and bool(connection.access_token)


def apply_token_answer(connection: OAuthConnection, answer: client.TokenAnswer) -> None:
    """Store a token answer on the instance. A refresh token the provider left out is kept."""
    connection.access_token = answer.access_token
    if answer.refresh_token:
        connection.refresh_token = answer.refresh_token
    connection.expires_at = (
        timezone.now() + datetime.timedelta(seconds=answer.expires_in) if answer.expires_in is not None else None
    )
    if answer.scope:
        connection.scopes = answer.scope


def mark_reconnect_needed(*, connection_id: int, reason: str) -> None:
    """Callers stop retrying: every later fresh_access_token raises ReconnectNeeded without a call."""
    OAuthConnection.objects.filter(pk=connection_id).update(
        status=OAuthConnection.Status.RECONNECT_NEEDED, last_error=reason[:300], updated_at=timezone.now()
    )


def fresh_access_token(membership, provider: str) -> str:
    provider = providers.get(provider).key
    connection = _connection_qs(membership, provider).first()
    if not _usable(connection):
        raise ReconnectNeeded(f"{provider}: connect the account again")
    if not _expiring(connection):
        return connection.access_token

    revoked_reason = None
    with transaction.atomic():
        connection = _connection_qs(membership, provider).select_for_update().first()
        if not _usable(connection):
            raise ReconnectNeeded(f"{provider}: connect the account again")
        if not _expiring(connection):
            return connection.access_token  # another worker refreshed while we waited for the lock
        if not connection.refresh_token:
            revoked_reason = "The access token expired and there is no refresh token."
        else:
            try:
                answer = client.refresh(providers.get(provider), refresh_token=connection.refresh_token)
            except client.OAuthGrantRevoked as exc:
                revoked_reason = f"Refresh refused: {exc}"
            except client.OAuthError as exc:
                logger.warning("oauth refresh failed for connection %s: %s", connection.pk, exc)
                raise TokenUnavailable(f"{provider}: token refresh failed, try again later") from None
            else:
                apply_token_answer(connection, answer)
                connection.refreshed_at = timezone.now()
                connection.last_error = ""
                connection.save(update_fields=["access_token", "refresh_token", "expires_at", "scopes", "refreshed_at", "last_error", "updated_at"])
                return connection.access_token
        # Marked inside the transaction that holds the lock, raised after it commits.
        mark_reconnect_needed(connection_id=connection.pk, reason=revoked_reason)
    logger.info("oauth connection %s needs reconnecting (%s)", connection.pk, provider)
    raise ReconnectNeeded(f"{provider}: the grant was revoked; connect the account again")
