from django.apps import AppConfig


class SurrogatesConfig(AppConfig):
    name = "surrogates"
    default_auto_field = "django.db.models.BigAutoField"
