from django.urls import include, path

from accounts.urls import team_urlpatterns as accounts_team_urls
from config import health
from tenants.admin_site import admin_site

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin_site.urls),
    path("", include("tenants.urls")),
    path("auth/", include("accounts.google_urls")),  # Google sign-in: /auth/login|complete/google-oauth2/
    path("team/", include("tenants.team_urls")),
    path("accounts/", include("accounts.urls")),  # MFA, your sessions, password (login/logout: tenants.urls)
    path("team/", include((accounts_team_urls, "accounts-team"))),  # /team/members/<membership>/reset-mfa/
    path("surrogates/", include("surrogates.urls")),
    path("matches/", include("matching.urls")),
    path("audit/", include("auditlog.urls")),
    path("forms/", include("forms_public.urls")),
    path("apply/", include("forms_public.public_urls")),
    path("book/", include("booking.urls")),
    path("booking/", include("booking.staff_urls")),
    path("email/", include("messaging.urls")),
    path("tracking/", include("tracking.urls")),
    path("settings/integrations/", include("integrations.connections.urls")),  # connect Gmail, Zoom, Calendar
    path("zoom/", include("integrations.zoom.urls")),
    path("webhooks/meta/", include("integrations.meta.urls")),
]
