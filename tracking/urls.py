from django.urls import path, register_converter

from tracking import views
from tracking.tokens import TokenConverter

register_converter(TokenConverter, "trk")

app_name = "tracking"
urlpatterns = [
    path("open/<trk:token>/", views.open_pixel, name="open"),
    path("click/<trk:token>/", views.click, name="click"),
    path("unsubscribe/<trk:token>/", views.unsubscribe, name="unsubscribe"),
]
