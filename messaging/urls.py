from django.urls import path

from messaging import views

app_name = "messaging"
urlpatterns = [
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template-new"),
    path("templates/<uuid:public_id>/", views.template_edit, name="template-edit"),
    path("surrogates/<uuid:public_id>/compose/", views.compose, name="compose"),
    path("messages/<uuid:public_id>/", views.message_detail, name="message"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/<uuid:public_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<uuid:public_id>/send/", views.campaign_send, name="campaign-send"),
    path("campaigns/<uuid:public_id>/cancel/", views.campaign_cancel, name="campaign-cancel"),
    path("suppressions/add/", views.suppression_add, name="suppression-add"),
]
