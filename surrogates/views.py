"""The coordinator's pages. Views are adapters: resolve the object through one access helper,
validate a form, call one service, turn a SurrogateError into a message, redirect.

Pages are rendered with `render()` (not a lazy TemplateResponse) so templates are evaluated
inside the organization scope the middleware entered.
"""
import zoneinfo

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from surrogates import list_selectors, selectors, services
from surrogates.form_markup import unbound_fields_html
from surrogates.forms import (
    AssignForm,
    DecisionForm,
    NoteForm,
    StatusChangeForm,
    SurrogateFilterForm,
    SurrogateForm,
    TaskForm,
    ReleaseForm,
    TaskToggleForm,
)
from surrogates.models import StatusChange, StatusChangeRequest
from surrogates.selectors import get_status_request_for_member, get_surrogate_for_member, get_task_for_member
from surrogates.services import SurrogateError
from auditlog.chain import append_for_request
from tenants import permissions as perms
from tenants.access import member_required

INVALID = 400  # a re-rendered form with errors (bad input or a rule refused it)


def _can(membership) -> dict:
    """What the templates may offer; the services check again on every write."""
    return {
        "create": perms.has_perm(membership, perms.CREATE_SURROGATE),
        "edit": perms.has_perm(membership, perms.EDIT_SURROGATE),
        "archive": perms.has_perm(membership, perms.ARCHIVE_SURROGATE),
        "approve": perms.has_perm(membership, perms.APPROVE_STATUS_REQUESTS),
        "add_note": perms.has_perm(membership, perms.ADD_NOTE),
        "manage_tasks": perms.has_perm(membership, perms.MANAGE_TASKS),
        "claim": perms.has_perm(membership, perms.CLAIM_SURROGATES),
        "assign": perms.has_perm(membership, perms.ASSIGN_SURROGATES),
        "import": perms.has_perm(membership, perms.IMPORT_SURROGATES),
    }


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _detail_url(surrogate) -> str:
    return reverse("surrogates:detail", args=[surrogate.public_id])


def _after_save_redirect(request, surrogate):
    """Back to the record, or to the list if the member just handed it to someone else."""
    if selectors.surrogates_visible_to(request.membership).filter(pk=surrogate.pk).exists():
        return redirect(_detail_url(surrogate))
    messages.info(request, f"{surrogate.surrogate_number} now belongs to someone else, so it is no longer in your list.")
    return redirect("surrogates:list")


# --- List -------------------------------------------------------------------------------------


@member_required
def surrogate_list(request):
    membership = request.membership
    stages, owners, queues = list_selectors.list_filter_choices(membership)
    form = SurrogateFilterForm(request.GET, membership=membership, stages=stages, owners=owners, queues=queues)
    filters = form.filters()
    page = list_selectors.surrogate_list_page(
        membership=membership, filters=filters, per_page=form.page_size(), number=request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "surrogates/list.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "surrogates": list_selectors.list_rows(page.object_list, tz=zoneinfo.ZoneInfo(request.organization.timezone)),
            "querystring": params.urlencode(),
            "can": _can(membership),
            "assign_form": AssignForm(membership=membership, owners=owners, queues=queues)
            if perms.has_perm(membership, perms.ASSIGN_SURROGATES)
            else None,
        },
    )


# --- Create, edit, archive --------------------------------------------------------------------


@member_required
def surrogate_create(request):
    membership = request.membership
    form = SurrogateForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            surrogate = services.surrogate_create(membership=membership, **form.cleaned_data)
        except SurrogateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Created {surrogate.surrogate_number}.")
            return _after_save_redirect(request, surrogate)
    status = INVALID if request.method == "POST" else 200
    return render(request, "surrogates/form.html", {"form": form, "surrogate": None}, status=status)


@member_required
def surrogate_edit(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = SurrogateForm(request.POST or None, membership=membership, initial=SurrogateForm.initial_for(surrogate))
    if request.method == "POST" and form.is_valid():
        try:
            services.surrogate_update(membership=membership, surrogate=surrogate, **form.cleaned_data)
        except SurrogateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Saved {surrogate.surrogate_number}.")
            return _after_save_redirect(request, surrogate)
    status = INVALID if request.method == "POST" else 200
    return render(request, "surrogates/form.html", {"form": form, "surrogate": surrogate}, status=status)


def _archive_action(request, public_id, service, done: str):
    surrogate = get_surrogate_for_member(request.membership, public_id)
    try:
        service(membership=request.membership, surrogate=surrogate)
    except SurrogateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{done} {surrogate.surrogate_number}.")
    return redirect(_detail_url(surrogate))


@member_required
@require_POST
def surrogate_archive(request, public_id):
    return _archive_action(request, public_id, services.surrogate_archive, "Archived")


@member_required
@require_POST
def surrogate_restore(request, public_id):
    return _archive_action(request, public_id, services.surrogate_restore, "Restored")


# --- Detail and the forms on it ---------------------------------------------------------------


def _release_choices(queues) -> list:
    """The release select's options as ReleaseForm would list them, from queues already read."""
    field = ReleaseForm.base_fields["queue"]
    return [("", field.empty_label), *((queue.public_id, field.label_from_instance(queue)) for queue in queues)]


def _render_detail(request, surrogate, *, status_form=None, note_form=None, task_form=None, status=200):
    membership = request.membership
    status_form = status_form or StatusChangeForm(membership=membership, surrogate=surrogate)
    stage_field = None if surrogate.archived_at else status_form.fields["to_stage"]
    can_assign = perms.has_perm(membership, perms.ASSIGN_SURROGATES)
    # The stage options (set on stage_field), members and queues of the page's selects: one statement.
    members, queues = selectors.detail_options(membership, stage_field, with_members=can_assign)
    has_stage_options = stage_field is not None and len(stage_field.choices) > (stage_field.empty_label is not None)
    note_form, task_form = note_form or NoteForm(), task_form or TaskForm()
    return render(
        request,
        "surrogates/detail.html",
        {
            "surrogate": surrogate,
            "status_form": status_form,
            "has_stage_options": has_stage_options,
            "note_form": note_form,
            "task_form": task_form,
            # Unbound forms' markup, rendered once per process and set of options (None: render it here).
            "status_fields": unbound_fields_html(status_form) if has_stage_options else None,
            "note_fields": unbound_fields_html(note_form),
            "task_fields": unbound_fields_html(task_form),
            "history": selectors.surrogate_history(surrogate),
            "pending_requests": selectors.surrogate_pending_requests(surrogate),
            "notes": selectors.surrogate_notes(surrogate),
            "tasks": selectors.surrogate_tasks(surrogate),
            "activity": selectors.surrogate_activity(surrogate),
            "can": _can(membership),
            "assign_form": AssignForm(membership=membership, owners=members, queues=queues) if can_assign else None,
            "release_choices": _release_choices(queues),
        },
        status=status,
    )


@member_required
def surrogate_detail(request, public_id):
    # With the panel flags: the panels that have nothing for this record do not query.
    surrogate = selectors.get_surrogate_detail_for_member(request.membership, public_id)
    # Viewing a full record (PII) is a security event: the tamper-evident chain keeps it (one
    # statement; see auditlog.chain.append for why concurrent views no longer queue behind each other).
    append_for_request(
        request=request, organization_id=surrogate.organization_id, action="surrogate.viewed", target=surrogate
    )
    return _render_detail(request, surrogate)


@member_required
@require_POST
def surrogate_change_status(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = StatusChangeForm(request.POST, membership=membership, surrogate=surrogate)
    if not form.is_valid():
        return _render_detail(request, surrogate, status_form=form, status=INVALID)
    to_stage = form.cleaned_data["to_stage"]
    try:
        result = services.surrogate_change_status(
            membership=membership,
            surrogate=surrogate,
            to_stage=to_stage,
            when=form.cleaned_data["effective_date"],
            reason=form.cleaned_data["reason"],
        )
    except SurrogateError as exc:
        form.add_error(None, str(exc))
        return _render_detail(request, surrogate, status_form=form, status=INVALID)
    if isinstance(result, StatusChangeRequest):
        messages.info(
            request,
            f"Moving {surrogate.surrogate_number} back to {to_stage.label} needs an admin's approval: "
            "the request is pending.",
        )
    elif result.kind == StatusChange.Kind.UNDO:
        messages.success(request, f"Undone: {surrogate.surrogate_number} is back in {to_stage.label}.")
    else:
        messages.success(request, f"Moved {surrogate.surrogate_number} to {to_stage.label}.")
    return redirect(_detail_url(surrogate))


@member_required
@require_POST
def note_add(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.note_add(membership=membership, surrogate=surrogate, body=form.cleaned_data["body"])
        except SurrogateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Note added.")
            return redirect(_detail_url(surrogate))
    return _render_detail(request, surrogate, note_form=form, status=INVALID)


@member_required
@require_POST
def task_add(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            services.task_create(membership=membership, surrogate=surrogate, **form.cleaned_data)
        except SurrogateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Task added.")
            return redirect(_detail_url(surrogate))
    return _render_detail(request, surrogate, task_form=form, status=INVALID)


@member_required
@require_POST
def task_toggle(request, public_id, task_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    task = get_task_for_member(membership, surrogate, task_id)
    if "completed" in request.POST:
        form = TaskToggleForm(request.POST)
        form.is_valid()
        completed = bool(form.cleaned_data.get("completed"))
    else:
        completed = task.completed_at is None
    try:
        services.task_set_completed(membership=membership, task=task, completed=completed)
    except SurrogateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Task {'completed' if completed else 'reopened'}.")
    return redirect(_detail_url(surrogate))


# --- Approvals --------------------------------------------------------------------------------


@member_required
def status_request_list(request):
    membership = request.membership
    return render(
        request,
        "surrogates/requests.html",
        {
            "pending": selectors.pending_requests_for(membership),
            "decided": selectors.recent_decided_requests_for(membership),
            "can": _can(membership),
        },
    )


def _decide(request, public_id, action):
    membership = request.membership
    status_request = get_status_request_for_member(membership, public_id)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    number = status_request.surrogate.surrogate_number
    label = status_request.to_stage.label
    try:
        if action == "approve":
            services.status_request_approve(membership=membership, request=status_request, note=note)
            messages.success(request, f"Approved: {number} moved back to {label}.")
        elif action == "reject":
            services.status_request_reject(membership=membership, request=status_request, note=note)
            messages.success(request, f"Rejected the request to move {number} back to {label}.")
        else:
            services.status_request_cancel(membership=membership, request=status_request)
            messages.success(request, f"Cancelled your request to move {number} back to {label}.")
    except SurrogateError as exc:
        messages.error(request, str(exc))
    return redirect(_safe_next(request, reverse("surrogates:requests")))


@member_required
@require_POST
def status_request_approve(request, public_id):
    return _decide(request, public_id, "approve")


@member_required
@require_POST
def status_request_reject(request, public_id):
    return _decide(request, public_id, "reject")


@member_required
@require_POST
def status_request_cancel(request, public_id):
    return _decide(request, public_id, "cancel")
