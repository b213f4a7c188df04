"""The team page (/team/) and the invitation link (/invite/<token>/). Views are adapters:
resolve the object inside the organization in scope (another organization's id is a 404), call
one service, turn a TenantError into a message."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.google import allow_google_form, google_signin_configured
from tenants import invitations, selectors, team
from tenants.access import member_required
from tenants.middleware import ACTIVE_ORG_SESSION_KEY
from tenants.models import Role, User
from tenants.public import public_entry
from tenants.services import TenantError


def _admin_only(view):
    @member_required
    def wrapper(request, *args, **kwargs):
        if request.membership.role != Role.ADMIN:
            raise PermissionDenied("Only admins manage the team.")
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    return wrapper


def _member(request, public_id):
    member = selectors.team_member(organization=request.organization, public_id=public_id)
    if member is None:
        raise Http404("No such member.")
    return member


def _invitation(request, public_id):
    invitation = selectors.team_invitation(organization=request.organization, public_id=public_id)
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


@require_GET
@_admin_only
def team_page(request):
    return render(
        request,
        "tenants/team.html",
        {
            "members": selectors.team_members(organization=request.organization),
            "invitations": selectors.pending_invitations(organization=request.organization),
            "roles": Role.choices,
        },
    )


@require_POST
@_admin_only
def invite(request):
    try:
        invitation, sent = invitations.invitation_create(
            membership=request.membership, email=request.POST.get("email", ""), role=request.POST.get("role", "")
        )
    except TenantError as exc:
        messages.error(request, str(exc))
    else:
        if sent:
            messages.success(request, f"Invitation sent to {invitation.email}.")
        else:
            messages.warning(request, f"Invitation created, but the email to {invitation.email} could not be sent; resend it.")
    return redirect("team:page")


def _act(request, action, obj, done: str):
    try:
        action(membership=request.membership, **obj)
    except TenantError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("team:page")


@require_POST
@_admin_only
def invitation_resend(request, public_id):
    invitation = _invitation(request, public_id)
    try:
        sent = invitations.invitation_resend(membership=request.membership, invitation=invitation)
    except TenantError as exc:
        messages.error(request, str(exc))
    else:
        (messages.success if sent else messages.warning)(
            request, "Invitation sent again with a new link." if sent else "The email could not be sent; try again later."
        )
    return redirect("team:page")


@require_POST
@_admin_only
def invitation_revoke(request, public_id):
    invitation = _invitation(request, public_id)
    return _act(request, invitations.invitation_revoke, {"invitation": invitation}, "Invitation revoked.")


@require_POST
@_admin_only
def member_role(request, public_id):
    member = _member(request, public_id)
    return _act(
        request, team.member_change_role, {"member": member, "role": request.POST.get("role", "")},
        f"{member.user.display_name} is now {dict(Role.choices).get(request.POST.get('role'), 'unchanged')}.",
    )


@require_POST
@_admin_only
def member_deactivate(request, public_id):
    member = _member(request, public_id)
    return _act(request, team.member_deactivate, {"member": member}, f"{member.user.display_name} was deactivated.")


@require_POST
@_admin_only
def member_reactivate(request, public_id):
    member = _member(request, public_id)
    return _act(request, team.member_reactivate, {"member": member}, f"{member.user.display_name} was reactivated.")


def _resolve_invitation(request, token):
    return invitations.invitation_for_token(token)


@never_cache
@public_entry(_resolve_invitation)
def invitation_accept(request, invitation, token):
    """Anyone with the link sees what it is for; only the invited address, signed in, accepts it."""
    context = {"invitation": invitation, "google_signin": google_signin_configured(), "next": request.path}
    if not invitation.is_usable:
        already_mine = request.user.is_authenticated and invitation.accepted_by_id == request.user.pk
        if already_mine:
            return redirect("home")
        return render(request, "tenants/invitation.html", {**context, "state": "unusable"}, status=410)
    if not request.user.is_authenticated:
        if settings.PASSWORD_LOGIN_ENABLED and not User.objects.filter(email=invitation.email).exists():
            return _invitation_signup(request, invitation, context)
        if request.method == "POST":
            return redirect_to_login(request.path)
        return allow_google_form(render(request, "tenants/invitation.html", {**context, "state": "sign_in"}))
    if request.user.email.strip().lower() != invitation.email:
        return render(request, "tenants/invitation.html", {**context, "state": "wrong_account"}, status=403)
    if request.method != "POST":
        return render(request, "tenants/invitation.html", {**context, "state": "confirm"})
    try:
        membership = invitations.invitation_accept(invitation=invitation, user=request.user)
    except TenantError as exc:
        return render(request, "tenants/invitation.html", {**context, "state": "error", "error": str(exc)}, status=409)
    request.session[ACTIVE_ORG_SESSION_KEY] = membership.organization_id
    messages.success(request, f"Welcome to {invitation.organization.name}.")
    return redirect("home")




def _invitation_signup(request, invitation, context):
    """No account for the invited address yet: create it here (the link proves the address)."""
    form = {"full_name": request.POST.get("full_name", "")}
    if request.method == "POST":
        password = request.POST.get("password1", "")
        if password != request.POST.get("password2", ""):
            error = "The two passwords do not match."
        else:
            try:
                membership = invitations.invitation_signup(
                    invitation=invitation, full_name=form["full_name"], password=password
                )
            except TenantError as exc:
                error = str(exc)
            else:
                # Password only so far: the MFA gate sends them to enrol an authenticator next.
                auth_login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
                request.session[ACTIVE_ORG_SESSION_KEY] = membership.organization_id
                messages.success(request, f"Welcome to {invitation.organization.name}.")
                return redirect("home")
        invitation.refresh_from_db()  # used or revoked a moment ago: say so, as a fresh GET would
        if not invitation.is_usable:
            return render(request, "tenants/invitation.html", {**context, "state": "unusable"}, status=410)
        page = {**context, "state": "create_account", "form": form, "error": error}
        return allow_google_form(render(request, "tenants/invitation.html", page, status=400))
    return allow_google_form(render(request, "tenants/invitation.html", {**context, "state": "create_account", "form": form}))
