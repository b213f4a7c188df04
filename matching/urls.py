from django.urls import path

from matching import views

app_name = "matching"
urlpatterns = [
    path("parents/", views.parent_list, name="parent-list"),
    path("parents/new/", views.parent_create, name="parent-create"),
    path("parents/<uuid:public_id>/", views.parent_detail, name="parent-detail"),
    path("parents/<uuid:public_id>/edit/", views.parent_edit, name="parent-edit"),
    path("parents/<uuid:public_id>/status/", views.parent_status, name="parent-status"),
    path("", views.match_list, name="match-list"),
    path("propose/", views.match_propose, name="match-propose"),
    path("calendar/", views.calendar, name="calendar"),
    path("surrogate/<uuid:public_id>/", views.surrogate_matches, name="surrogate-matches"),
    path("approvals/<uuid:public_id>/approve/", views.approval_approve, name="approval-approve"),
    path("approvals/<uuid:public_id>/reject/", views.approval_reject, name="approval-reject"),
    path("approvals/<uuid:public_id>/withdraw/", views.approval_withdraw, name="approval-withdraw"),
    path("<uuid:public_id>/", views.match_detail, name="match-detail"),
    path("<uuid:public_id>/accept/", views.match_accept, name="match-accept"),
    path("<uuid:public_id>/reject/", views.match_reject, name="match-reject"),
    path("<uuid:public_id>/cancel/", views.match_cancel, name="match-cancel"),
    path("<uuid:public_id>/events/", views.event_add, name="event-add"),
    path("<uuid:public_id>/events/<uuid:event_id>/delete/", views.event_delete, name="event-delete"),
]
