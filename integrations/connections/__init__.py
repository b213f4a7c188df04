"""Per-member OAuth connections (Gmail, Zoom, Google Calendar): encrypted tokens, refresh, reconnect.

The public API other apps code against:

    from integrations.connections import fresh_access_token, ReconnectNeeded, TokenUnavailable
    token = fresh_access_token(membership, "zoom")

`fresh_access_token` is imported lazily so this package can be imported before the app registry
is ready (the models module lives here too).
"""
from integrations.connections.errors import IntegrationConnectionError, ReconnectNeeded, TokenUnavailable

__all__ = ["IntegrationConnectionError", "ReconnectNeeded", "TokenUnavailable", "fresh_access_token"]


def fresh_access_token(membership, provider: str) -> str:
    """A current access token for this member's `provider` connection (see tokens.fresh_access_token)."""
    from integrations.connections.tokens import fresh_access_token as _fresh

    return _fresh(membership, provider)
