from django.apps import AppConfig


class MetaConfig(AppConfig):
    name = "integrations.meta"
    label = "meta"
    verbose_name = "Meta lead ads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Conversions API feedback listens to stage changes (sent by surrogates after commit).
        from integrations.meta import capi
        from surrogates.signals import stage_changed

        stage_changed.connect(capi.on_stage_changed, dispatch_uid="meta.capi.on_stage_changed")
