from django.contrib.auth import views as auth_views
from django.urls import path

from tenants import team_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("orgs/switch/", views.switch_organization, name="switch-organization"),
    path("invite/<str:token>/", team_views.invitation_accept, name="invitation-accept"),
]
