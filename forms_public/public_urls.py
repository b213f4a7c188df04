from django.urls import path, register_converter
from django.urls.converters import StringConverter

from forms_public import public_views


class TokenConverter(StringConverter):
    """secrets.token_urlsafe(32): 43 URL-safe characters. Anything else never reaches the view."""

    regex = "[A-Za-z0-9_-]{43}"


register_converter(TokenConverter, "apply_token")

app_name = "apply"
urlpatterns = [
    path("<apply_token:token>/", public_views.apply, name="form"),
]
