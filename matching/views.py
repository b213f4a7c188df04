"""Pages for intended parents, matches and the match calendar. Thin adapters over services."""
import datetime

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from matching import selectors, services
from matching.forms import (
    DecisionForm,
    EventForm,
    IntendedParentForm,
    MonthForm,
    ParentFilterForm,
    ParentStatusForm,
    ProposeForm,
)
from matching.models import MatchApproval, MatchStatus
from matching.services import MatchingError
from surrogates.selectors import get_surrogate_for_member
from tenants import permissions as perms
from tenants.access import member_required, require_perm

INVALID = 400
PAGE_SIZE = 25


def _can(membership) -> dict:
    return {
        "manage": perms.has_perm(membership, perms.MANAGE_MATCHES),
        "approve": perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS),
    }


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


# --- Intended parents -----------------------------------------------------------------------


@member_required
def parent_list(request):
    require_perm(request, perms.MANAGE_MATCHES)
    form = ParentFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    queryset = selectors.parents_for(request.membership, q=data.get("q", ""), status=data.get("status", ""))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "matching/parent_list.html", {"form": form, "page": page, "parents": page.object_list})


@member_required
def parent_create(request):
    require_perm(request, perms.MANAGE_MATCHES)
    form = IntendedParentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            parent = services.intended_parent_create(membership=request.membership, **form.cleaned_data)
        except MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Created {parent.ip_number}.")
            return redirect("matching:parent-detail", parent.public_id)
    status = INVALID if request.method == "POST" else 200
    return render(request, "matching/parent_form.html", {"form": form, "parent": None}, status=status)


@member_required
def parent_edit(request, public_id):
    require_perm(request, perms.MANAGE_MATCHES)
    parent = selectors.get_parent_for_member(request.membership, public_id)
    form = IntendedParentForm(request.POST or None, initial=IntendedParentForm.initial_for(parent))
    if request.method == "POST" and form.is_valid():
        try:
            services.intended_parent_update(membership=request.membership, parent=parent, **form.cleaned_data)
        except MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {parent.ip_number}.")
            return redirect("matching:parent-detail", parent.public_id)
    status = INVALID if request.method == "POST" else 200
    return render(request, "matching/parent_form.html", {"form": form, "parent": parent}, status=status)


def _render_parent(request, parent, *, status_form=None, status=200):
    membership = request.membership
    pending = selectors.approvals_visible_to(membership).filter(
        intended_parent=parent, state=MatchApproval.State.PENDING
    )
    return render(
        request,
        "matching/parent_detail.html",
        {
            "parent": parent,
            "status_form": status_form or ParentStatusForm(parent=parent),
            "matches": selectors.matches_for_parent(parent, membership),
            "pending": pending,
            "can": _can(membership),
        },
        status=status,
    )


@member_required
def parent_detail(request, public_id):
    require_perm(request, perms.MANAGE_MATCHES)
    parent = selectors.get_parent_for_member(request.membership, public_id)
    return _render_parent(request, parent)


@member_required
@require_POST
def parent_status(request, public_id):
    require_perm(request, perms.MANAGE_MATCHES)
    parent = selectors.get_parent_for_member(request.membership, public_id)
    form = ParentStatusForm(request.POST, parent=parent)
    if not form.is_valid():
        return _render_parent(request, parent, status_form=form, status=INVALID)
    try:
        result = services.intended_parent_change_status(
            membership=request.membership, parent=parent, **form.cleaned_data
        )
    except MatchingError as exc:
        form.add_error(None, str(exc))
        return _render_parent(request, parent, status_form=form, status=INVALID)
    if isinstance(result, MatchApproval):
        messages.info(request, "Moving back needs an admin's approval: the request is pending.")
    else:
        messages.success(request, f"{parent.ip_number} is now {result.get_status_display().lower()}.")
    return redirect("matching:parent-detail", parent.public_id)


# --- Matches --------------------------------------------------------------------------------


@member_required
def match_list(request):
    require_perm(request, perms.MANAGE_MATCHES)
    status = request.GET.get("status", "")
    status = status if status in MatchStatus.values else ""
    page = Paginator(selectors.match_list(request.membership, status=status), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "matching/match_list.html",
        {"page": page, "matches": page.object_list, "status": status, "statuses": MatchStatus.choices},
    )


@member_required
def match_propose(request):
    require_perm(request, perms.MANAGE_MATCHES)
    membership = request.membership
    initial = {key: request.GET.get(key) for key in ("surrogate", "intended_parent") if request.GET.get(key)}
    form = ProposeForm(request.POST or None, membership=membership, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            match = services.match_propose(
                membership=membership,
                surrogate=form.cleaned_data["surrogate"],
                parent=form.cleaned_data["intended_parent"],
                note=form.cleaned_data["note"],
            )
        except MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Match proposed.")
            return redirect("matching:match-detail", match.public_id)
    status = INVALID if request.method == "POST" else 200
    return render(request, "matching/propose.html", {"form": form}, status=status)


def _render_match(request, match, *, event_form=None, status=200):
    membership = request.membership
    pending_cancel = selectors.approvals_visible_to(membership).filter(
        match=match, state=MatchApproval.State.PENDING
    ).first()
    return render(
        request,
        "matching/match_detail.html",
        {
            "match": match,
            "events": selectors.match_events(match),
            "event_form": event_form or EventForm(organization=request.organization),
            "decision_form": DecisionForm(),
            "pending_cancel": pending_cancel,
            "can": _can(membership),
        },
        status=status,
    )


@member_required
def match_detail(request, public_id):
    require_perm(request, perms.MANAGE_MATCHES)
    match = selectors.get_match_for_member(request.membership, public_id)
    if services.match_mark_viewed(membership=request.membership, match=match):
        match = selectors.get_match_for_member(request.membership, public_id)
    return _render_match(request, match)


def _match_action(request, public_id, action):
    require_perm(request, perms.MANAGE_MATCHES)
    membership = request.membership
    match = selectors.get_match_for_member(membership, public_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "accept":
            services.match_accept(membership=membership, match=match, note=note)
            messages.success(request, "Match accepted: both sides are now matched.")
        elif action == "reject":
            services.match_reject(membership=membership, match=match, note=note)
            messages.success(request, "Proposal rejected.")
        else:
            result = services.match_cancel(membership=membership, match=match, reason=note)
            if isinstance(result, MatchApproval):
                messages.info(request, "Cancelling an accepted match needs an admin's approval: the request is pending.")
            else:
                messages.success(request, "Proposal cancelled.")
    except MatchingError as exc:
        messages.error(request, str(exc))
    return redirect("matching:match-detail", match.public_id)


@member_required
@require_POST
def match_accept(request, public_id):
    return _match_action(request, public_id, "accept")


@member_required
@require_POST
def match_reject(request, public_id):
    return _match_action(request, public_id, "reject")


@member_required
@require_POST
def match_cancel(request, public_id):
    return _match_action(request, public_id, "cancel")


# --- Calendar -------------------------------------------------------------------------------


@member_required
@require_POST
def event_add(request, public_id):
    require_perm(request, perms.MANAGE_MATCHES)
    match = selectors.get_match_for_member(request.membership, public_id)
    form = EventForm(request.POST, organization=request.organization)
    if form.is_valid():
        try:
            services.event_create(membership=request.membership, match=match, **form.cleaned_data)
        except MatchingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Event added to the match calendar.")
            return redirect("matching:match-detail", match.public_id)
    return _render_match(request, match, event_form=form, status=INVALID)


@member_required
@require_POST
def event_delete(request, public_id, event_id):
    require_perm(request, perms.MANAGE_MATCHES)
    match = selectors.get_match_for_member(request.membership, public_id)
    event = selectors.get_event_for_member(request.membership, match, event_id)
    try:
        services.event_delete(membership=request.membership, event=event)
    except MatchingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Event removed.")
    return redirect("matching:match-detail", match.public_id)


def _month_start(request) -> datetime.date:
    form = MonthForm(request.GET)
    value = form.cleaned_data.get("month") if form.is_valid() else ""
    if value:
        year, month = map(int, value.split("-"))
        return datetime.date(year, month, 1)
    return timezone.localdate(timezone.now(), request.organization.tzinfo).replace(day=1)


@member_required
def calendar(request):
    require_perm(request, perms.MANAGE_MATCHES)
    tz = request.organization.tzinfo
    first = _month_start(request)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    start = datetime.datetime.combine(first, datetime.time(0), tzinfo=tz)
    end = datetime.datetime.combine(following, datetime.time(0), tzinfo=tz)
    days: dict = {}
    for event in selectors.calendar_events(request.membership, start=start, end=end):
        days.setdefault(timezone.localtime(event.starts_at, tz).date(), []).append(event)
    return render(
        request,
        "matching/calendar.html",
        {
            "month": first,
            "previous": previous.strftime("%Y-%m"),
            "next": following.strftime("%Y-%m"),
            "days": sorted(days.items()),
        },
    )


# --- Approvals (listed on the surrogates approvals page) -------------------------------------


def _decide(request, public_id, action):
    membership = request.membership
    approval = selectors.get_approval_for_member(membership, public_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if action == "approve":
            services.approval_approve(membership=membership, approval=approval, note=note)
            messages.success(request, "Approved.")
        elif action == "reject":
            services.approval_reject(membership=membership, approval=approval, note=note)
            messages.success(request, "Rejected.")
        else:
            services.approval_withdraw(membership=membership, approval=approval)
            messages.success(request, "Request withdrawn.")
    except MatchingError as exc:
        messages.error(request, str(exc))
    return redirect(_safe_next(request, reverse("surrogates:requests")))


@member_required
@require_POST
def approval_approve(request, public_id):
    return _decide(request, public_id, "approve")


@member_required
@require_POST
def approval_reject(request, public_id):
    return _decide(request, public_id, "reject")


@member_required
@require_POST
def approval_withdraw(request, public_id):
    return _decide(request, public_id, "withdraw")


@member_required
def surrogate_matches(request, public_id):
    """Matches of one surrogate (linked from its record)."""
    require_perm(request, perms.MANAGE_MATCHES)
    surrogate = get_surrogate_for_member(request.membership, public_id)
    return render(
        request,
        "matching/surrogate_matches.html",
        {"surrogate": surrogate, "matches": selectors.matches_for_surrogate(surrogate, request.membership)},
    )
