from integrations.connections import providers
from integrations.connections.models import OAuthConnection


def connections_for(membership) -> list[dict]:
    """One row per provider for the settings page: its config and this member's connection (or None)."""
    mine = {
        c.provider: c
        for c in OAuthConnection.objects.filter(organization_id=membership.organization_id, membership=membership)
    }
    return [{"config": config, "connection": mine.get(key)} for key, config in providers.PROVIDERS.items()]
