from django.urls import path

from tenants import team_views

app_name = "team"

urlpatterns = [
    path("", team_views.team_page, name="page"),
    path("invite/", team_views.invite, name="invite"),
    path("invitations/<uuid:public_id>/resend/", team_views.invitation_resend, name="invitation-resend"),
    path("invitations/<uuid:public_id>/revoke/", team_views.invitation_revoke, name="invitation-revoke"),
    path("members/<uuid:public_id>/role/", team_views.member_role, name="member-role"),
    path("members/<uuid:public_id>/deactivate/", team_views.member_deactivate, name="member-deactivate"),
    path("members/<uuid:public_id>/reactivate/", team_views.member_reactivate, name="member-reactivate"),
]
