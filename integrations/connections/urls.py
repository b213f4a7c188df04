from django.urls import path, register_converter

from integrations.connections.models import Provider


class ProviderConverter:
    """Only the known providers match; anything else is a 404 from the resolver."""

    regex = "|".join(Provider.values)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(ProviderConverter, "provider")

from integrations.connections import views  # noqa: E402

app_name = "integrations"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("<provider:provider>/connect/", views.connect, name="connect"),
    path("<provider:provider>/callback/", views.callback, name="callback"),
    path("<provider:provider>/disconnect/", views.disconnect, name="disconnect"),
]
