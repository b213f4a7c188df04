from django.apps import AppConfig


class ZoomConfig(AppConfig):
    """Its own app (label "zoom") so its tables and migrations are separate from the core
    integrations app, which holds the OAuth connections."""

    name = "integrations.zoom"
    label = "zoom"
    verbose_name = "Zoom meetings"
    default_auto_field = "django.db.models.BigAutoField"
