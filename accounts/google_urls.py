"""Mounted at /auth/. Named social:begin / social:complete because social-auth reverses those."""
from django.urls import path

from accounts import google_views

app_name = "social"

urlpatterns = [
    path("login/<str:backend>/", google_views.begin, name="begin"),
    path("complete/<str:backend>/", google_views.complete, name="complete"),
]
