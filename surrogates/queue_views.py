"""Queues and ownership pages: claim, release, assign (one or many), the queues overview."""
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from surrogates import selectors, services
from surrogates.forms import AssignForm, BulkAssignForm, ReleaseForm
from surrogates.models import Queue
from surrogates.selectors import get_surrogate_for_member
from surrogates.services import SurrogateError
from tenants import permissions as perms
from tenants.access import member_required


def _detail_or_list(request, surrogate):
    if selectors.surrogates_visible_to(request.membership).filter(pk=surrogate.pk).exists():
        return redirect("surrogates:detail", surrogate.public_id)
    return redirect("surrogates:list")


@member_required
@require_POST
def surrogate_claim(request, public_id):
    surrogate = get_surrogate_for_member(request.membership, public_id)
    try:
        services.surrogate_claim(membership=request.membership, surrogate=surrogate)
    except SurrogateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You now own {surrogate.surrogate_number}.")
    return redirect("surrogates:detail", surrogate.public_id)


@member_required
@require_POST
def surrogate_release(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = ReleaseForm(request.POST, membership=membership)
    queue = form.cleaned_data.get("queue") if form.is_valid() else None
    try:
        services.surrogate_release(membership=membership, surrogate=surrogate, queue=queue)
    except SurrogateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Released {surrogate.surrogate_number} to {queue.name if queue else 'Unassigned'}.")
    return _detail_or_list(request, surrogate)


@member_required
@require_POST
def surrogate_assign(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = AssignForm(request.POST, membership=membership)
    if not form.is_valid():
        messages.error(request, "Choose a person or a queue to assign to.")
        return redirect("surrogates:detail", surrogate.public_id)
    user, queue = form.target()
    try:
        services.surrogate_assign(membership=membership, surrogate=surrogate, user=user, queue=queue)
    except SurrogateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Assigned {surrogate.surrogate_number} to {user.display_name if user else queue.name}.")
    return _detail_or_list(request, surrogate)


@member_required
@require_POST
def surrogate_bulk_assign(request):
    membership = request.membership
    form = BulkAssignForm(request.POST, membership=membership)
    back = request.POST.get("back") or ""
    target_url = reverse("surrogates:list") + (f"?{back}" if back and "\n" not in back and "//" not in back else "")
    if not form.is_valid():
        messages.error(request, "Select surrogates and a person or queue to assign them to.")
        return redirect(target_url)
    user, queue = form.target()
    surrogates = selectors.surrogates_visible_to(membership).filter(public_id__in=form.cleaned_data["ids"])
    try:
        changed = services.surrogate_bulk_assign(membership=membership, surrogates=surrogates, user=user, queue=queue)
    except SurrogateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Assigned {changed} surrogate{'s' if changed != 1 else ''} to {user.display_name if user else queue.name}.")
    return redirect(target_url)


@member_required
def queue_list(request):
    membership = request.membership
    queues = (
        Queue.objects.filter(organization_id=membership.organization_id)
        .annotate(open_count=Count("surrogates", filter=Q(surrogates__archived_at__isnull=True)))
        .prefetch_related("memberships__user")
        .order_by("-system_key", "name")
    )
    return render(
        request,
        "surrogates/queues.html",
        {
            "queues": queues,
            "can_see_all": perms.has_perm(membership, perms.VIEW_ALL_SURROGATES),
            "can_manage": perms.has_perm(membership, perms.MANAGE_ORGANIZATION),
        },
    )
