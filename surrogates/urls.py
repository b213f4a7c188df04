from django.urls import path

from surrogates import import_views, queue_views, views

app_name = "surrogates"
urlpatterns = [
    path("", views.surrogate_list, name="list"),
    path("new/", views.surrogate_create, name="create"),
    path("approvals/", views.status_request_list, name="requests"),
    path("queues/", queue_views.queue_list, name="queues"),
    path("bulk-assign/", queue_views.surrogate_bulk_assign, name="bulk-assign"),
    path("import/", import_views.import_upload, name="import"),
    path("import/<uuid:public_id>/", import_views.import_detail, name="import-detail"),
    path("import/<uuid:public_id>/start/", import_views.import_start, name="import-start"),
    path("import/<uuid:public_id>/progress/", import_views.import_progress, name="import-progress"),
    path("approvals/<uuid:public_id>/approve/", views.status_request_approve, name="request-approve"),
    path("approvals/<uuid:public_id>/reject/", views.status_request_reject, name="request-reject"),
    path("approvals/<uuid:public_id>/cancel/", views.status_request_cancel, name="request-cancel"),
    path("<uuid:public_id>/", views.surrogate_detail, name="detail"),
    path("<uuid:public_id>/edit/", views.surrogate_edit, name="edit"),
    path("<uuid:public_id>/archive/", views.surrogate_archive, name="archive"),
    path("<uuid:public_id>/restore/", views.surrogate_restore, name="restore"),
    path("<uuid:public_id>/status/", views.surrogate_change_status, name="status"),
    path("<uuid:public_id>/claim/", queue_views.surrogate_claim, name="claim"),
    path("<uuid:public_id>/release/", queue_views.surrogate_release, name="release"),
    path("<uuid:public_id>/assign/", queue_views.surrogate_assign, name="assign"),
    path("<uuid:public_id>/notes/", views.note_add, name="note-add"),
    path("<uuid:public_id>/tasks/", views.task_add, name="task-add"),
    path("<uuid:public_id>/tasks/<uuid:task_id>/toggle/", views.task_toggle, name="task-toggle"),
]
