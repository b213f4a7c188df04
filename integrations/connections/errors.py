"""What callers of an integration connection can be told (no token or provider text beyond an error code)."""


class IntegrationConnectionError(Exception):
    pass


class ReconnectNeeded(IntegrationConnectionError):
    """No usable grant: never connected, disconnected, or the provider revoked it.

    Permanent until the member connects again: callers must not retry.
    """


class TokenUnavailable(IntegrationConnectionError):
    """The token could not be refreshed right now (provider 5xx, network). Transient: retry later."""


class ConnectFlowError(IntegrationConnectionError):
    """The connect flow could not finish; the message is shown to the member as is."""
