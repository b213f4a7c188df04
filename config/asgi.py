"""HTTP and WebSockets. WebSockets authenticate with the session cookie and accept only
origins listed in WEBSOCKET_ALLOWED_ORIGINS (an explicit allowlist, not ALLOWED_HOSTS)."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

websocket_urlpatterns: list = []  # real-time notifications add their consumers here


def websocket_app(urlpatterns):
    """Session-cookie auth behind an explicit Origin allowlist (consumers: tenants.consumers)."""
    return OriginValidator(AuthMiddlewareStack(URLRouter(urlpatterns)), settings.WEBSOCKET_ALLOWED_ORIGINS)


application = ProtocolTypeRouter({"http": django_asgi_app, "websocket": websocket_app(websocket_urlpatterns)})
