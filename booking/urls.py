"""Public booking URLs, mounted at /book/. The manage routes come first: "manage" is never a slug."""
from django.urls import path

from booking import views

app_name = "booking_public"
urlpatterns = [
    path("manage/<str:token>/", views.manage_page, name="manage"),
    path("manage/<str:token>/slots/", views.manage_slots, name="manage-slots"),
    path("<str:slug>/", views.booking_page, name="page"),
    path("<str:slug>/slots/", views.booking_slots, name="slots"),
]
