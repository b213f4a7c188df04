"""Every sign-in and sign-out, whatever the path (password, Google, admin, tests' force_login)."""
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts import sessions


@receiver(user_logged_in, dispatch_uid="accounts.session_started")
def _session_started(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.session_record_start(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="accounts.session_ended")
def _session_ended(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        sessions.session_record_end(request=request)
