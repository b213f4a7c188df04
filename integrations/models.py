"""Models of every provider sub-package, imported here so Django finds them (one app, one migration history)."""
from integrations.connections.models import OAuthConnection  # noqa: F401
