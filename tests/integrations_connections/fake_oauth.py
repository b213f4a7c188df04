"""The tests' fake OAuth provider lives with the app (dev uses it too): integrations/connections/fake_provider.py."""
from integrations.connections.fake_provider import CLIENT_ID, CLIENT_SECRET, FakeOAuth  # noqa: F401
