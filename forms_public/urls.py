from django.urls import path

from forms_public import views

app_name = "forms_public"
urlpatterns = [
    path("", views.submission_list, name="queue"),
    path("submissions/<uuid:public_id>/", views.submission_detail, name="submission"),
    path("submissions/<uuid:public_id>/approve/", views.submission_approve, name="submission-approve"),
    path("submissions/<uuid:public_id>/reject/", views.submission_reject, name="submission-reject"),
    path("surrogates/<uuid:public_id>/links/", views.link_issue, name="link-issue"),
    path("surrogates/<uuid:public_id>/files/", views.attachment_add, name="attachment-add"),
    path("links/<uuid:public_id>/revoke/", views.link_revoke, name="link-revoke"),
    path("files/<uuid:public_id>/download/", views.upload_download, name="download"),
]
