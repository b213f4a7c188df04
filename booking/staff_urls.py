"""Staff booking pages, mounted at /booking/."""
from django.urls import path

from booking import staff_views as views

app_name = "booking"
urlpatterns = [
    path("", views.appointment_list, name="list"),
    path("settings/", views.booking_settings, name="settings"),
    path("settings/regenerate/", views.link_regenerate, name="regenerate"),
    path("types/new/", views.type_create, name="type-create"),
    path("types/<uuid:public_id>/", views.type_edit, name="type-edit"),
    path("hours/new/", views.rule_add, name="rule-add"),
    path("hours/<uuid:public_id>/delete/", views.rule_delete, name="rule-delete"),
    path("overrides/new/", views.override_add, name="override-add"),
    path("overrides/<uuid:public_id>/delete/", views.override_delete, name="override-delete"),
    path("appointments/<uuid:public_id>/", views.appointment_detail, name="detail"),
    path("appointments/<uuid:public_id>/approve/", views.appointment_approve, name="approve"),
    path("appointments/<uuid:public_id>/cancel/", views.appointment_cancel, name="cancel"),
    path("appointments/<uuid:public_id>/reschedule/", views.appointment_reschedule, name="reschedule"),
    path("appointments/<uuid:public_id>/link/", views.appointment_link, name="link"),
]
