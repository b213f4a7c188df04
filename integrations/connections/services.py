"""Connect and disconnect a member's integration account (writes); fresh tokens live in tokens.py."""
import base64
import hashlib
import logging
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.utils import timezone

from integrations.connections import client, providers
from integrations.connections.errors import ConnectFlowError
from integrations.connections.models import OAuthConnection
from integrations.connections.tokens import apply_token_answer
from tenants.audit import audit_record

logger = logging.getLogger(__name__)

PROVIDER_FAILED = "{label} could not complete the connection right now. Please try again in a few minutes."
PROVIDER_REFUSED = "{label} refused the connection. Please try again; if it keeps failing, ask your administrator."


def authorization_url(*, provider: str, state: str, code_verifier: str, redirect_uri: str) -> str:
    config = providers.get(provider)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": config.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **({"scope": " ".join(config.scopes)} if config.scopes else {}),
        **config.authorize_params(),
    }
    return f"{config.authorize_url}?{urlencode(params)}"


def _missing_scopes(config, granted: str) -> list[str]:
    if not granted:
        return []  # the provider did not say: take the grant as asked
    have = set(granted.split())
    return [scope for scope in config.scopes if scope.startswith("https://") and scope not in have]


def connection_complete(*, membership, provider: str, code: str, code_verifier: str, redirect_uri: str) -> OAuthConnection:
    """Exchange the code, look up the account, store the grant (encrypted).

    A refresh token the provider leaves out on a later consent (Google does, once one was
    issued) is kept when the same account consented again.
    """
    config = providers.get(provider)
    try:
        answer = client.exchange_code(config, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        account = client.account_email(config, access_token=answer.access_token)
    except client.OAuthTransient as exc:
        logger.warning("oauth connect failed (%s): %s", provider, exc)
        raise ConnectFlowError(PROVIDER_FAILED.format(label=config.label)) from None
    except client.OAuthError as exc:
        logger.warning("oauth connect refused (%s): %s", provider, exc)
        raise ConnectFlowError(PROVIDER_REFUSED.format(label=config.label)) from None
    missing = _missing_scopes(config, answer.scope)
    if missing:
        raise ConnectFlowError(
            f"{config.label} was connected without every permission Cradle needs. Connect again and allow all of them."
        )
    try:
        return _store_grant(membership=membership, config=config, answer=answer, account=account)
    except IntegrityError:  # the same member finished a second connect flow at the same moment
        raise ConnectFlowError(PROVIDER_FAILED.format(label=config.label)) from None


def _store_grant(*, membership, config, answer, account) -> OAuthConnection:
    with transaction.atomic():
        connection = (
            OAuthConnection.objects.select_for_update()
            .filter(organization_id=membership.organization_id, membership=membership, provider=config.key)
            .first()
        )
        if connection is None:
            connection = OAuthConnection(organization_id=membership.organization_id, membership=membership, provider=config.key)
        elif (connection.account_email or "").lower() != account.lower():
            connection.refresh_token = ""  # another account's refresh token is no use for this one
        apply_token_answer(connection, answer)
        connection.account_email = account
        connection.status = OAuthConnection.Status.CONNECTED
        connection.last_error = ""
        connection.connected_at = timezone.now()
        connection.save()
        audit_record(
            actor=membership.user, action="integration.connected", target=connection,
            data={"provider": config.key, "has_refresh_token": bool(connection.refresh_token)},
        )
    return connection


def connection_disconnect(*, membership, provider: str) -> bool:
    """Revoke the grant at the provider (best effort) and delete the stored tokens."""
    config = providers.get(provider)
    connection = OAuthConnection.objects.filter(
        organization_id=membership.organization_id, membership=membership, provider=config.key
    ).first()
    if connection is None:
        return False
    token = connection.refresh_token or connection.access_token
    if token and config.configured:
        try:
            client.revoke(config, token=token)
        except client.OAuthError as exc:  # the tokens are deleted either way
            logger.info("oauth revoke failed for connection %s: %s", connection.pk, exc)
    with transaction.atomic():
        audit_record(actor=membership.user, action="integration.disconnected", target=connection, data={"provider": config.key})
        connection.delete()
    return True
