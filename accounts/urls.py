from django.urls import path

from accounts import mfa_views, session_views

app_name = "accounts"

urlpatterns = [
    path("mfa/enroll/", mfa_views.enroll, name="mfa-enroll"),
    path("mfa/verify/", mfa_views.verify, name="mfa-verify"),
    path("sessions/", session_views.session_list, name="sessions"),
    path("sessions/sign-out-others/", session_views.session_revoke_others, name="sessions-revoke-others"),
    path("sessions/<uuid:session_id>/sign-out/", session_views.session_revoke, name="session-revoke"),
    path("password/", session_views.password_change, name="password-change"),
]

# Mounted under /team/ (config/urls.py): the team page itself is tenants'.
team_urlpatterns = [
    path("members/<uuid:membership_id>/reset-mfa/", mfa_views.reset_member_mfa, name="reset-mfa"),
]
