"""Zoom meeting pages, mounted at /zoom/."""
from django.urls import path

from integrations.zoom import views

app_name = "zoom"
urlpatterns = [
    path("appointments/<uuid:public_id>/new/", views.appointment_meeting_new, name="appointment-new"),
    path("surrogates/<uuid:public_id>/new/", views.surrogate_meeting_new, name="surrogate-new"),
    path("meetings/<uuid:public_id>/", views.meeting_detail, name="detail"),
    path("meetings/<uuid:public_id>/retry/", views.meeting_retry, name="retry"),
]
