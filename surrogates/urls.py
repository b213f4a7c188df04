from django.urls import path

from surrogates import views

app_name = "surrogates"
urlpatterns = [
    path("", views.surrogate_list, name="list"),
    path("<uuid:public_id>/", views.surrogate_detail, name="detail"),
    path("approvals/", views.status_request_list, name="requests"),
]
