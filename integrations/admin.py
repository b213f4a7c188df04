"""Admin of the integrations app's own models (provider apps register theirs themselves)."""
from integrations.connections import admin as connections_admin  # noqa: F401
