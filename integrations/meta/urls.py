from django.urls import path

from integrations.meta import views

app_name = "meta"
urlpatterns = [path("", views.webhook, name="webhook")]
