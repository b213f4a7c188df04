from django.apps import AppConfig


class FormsPublicConfig(AppConfig):
    name = "forms_public"
    default_auto_field = "django.db.models.BigAutoField"
