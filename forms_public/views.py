"""Staff pages: the review queue, a submission, issuing and revoking links, attaching files and
downloading them. Thin adapters: resolve through one access helper, call one service."""
from django.contrib import messages
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from forms_public import selectors, services
from forms_public.forms import AttachmentForm, LinkIssueForm, ReviewForm
from forms_public.schema import schema_fields
from forms_public.services import STAFF_MAX_FILE_BYTES, FormsError
from forms_public.uploads import services as upload_services
from forms_public.uploads.limits import checked_post
from forms_public.uploads.storage import StorageError
from surrogates.selectors import get_surrogate_for_member
from tenants import permissions as perms
from tenants.access import member_required

INVALID = 400
STAFF_BODY_LIMIT = STAFF_MAX_FILE_BYTES + 1024 * 1024


def _detail_url(surrogate) -> str:
    return reverse("surrogates:detail", args=[surrogate.public_id])


# --- Review queue -------------------------------------------------------------------------------


@member_required
@require_GET
def submission_list(request):
    membership = request.membership
    return render(
        request,
        "forms_public/queue.html",
        {
            "pending": selectors.review_queue(membership),
            "reviewed": selectors.recently_reviewed(membership),
            "forms": selectors.forms_for_admin(membership),
            "can_manage": perms.has_perm(membership, perms.MANAGE_ORGANIZATION),
        },
    )


def _answer_rows(submission):
    answers = submission.answers
    uploads = list(selectors.submission_uploads(submission))
    rows = []
    for spec in schema_fields(submission.form_version.schema):
        value = answers.get(spec["key"])
        if spec["type"] == "file":
            value = [u for u in uploads if u.field_key == spec["key"]]
        elif spec["type"] == "address" and isinstance(value, dict):
            value = ", ".join(part for part in value.values() if part)
        elif isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, bool):
            value = "Yes" if value else "No"
        rows.append({"spec": spec, "value": value})
    return rows


@member_required
@require_GET
def submission_detail(request, public_id):
    submission = selectors.get_submission_for_member(request.membership, public_id)
    return _render_submission(request, submission, ReviewForm())


def _render_submission(request, submission, form, status=200):
    return render(
        request,
        "forms_public/submission.html",
        {
            "submission": submission,
            "rows": _answer_rows(submission),
            "review_form": form,
            "can_review": perms.has_perm(request.membership, perms.EDIT_SURROGATE),
        },
        status=status,
    )


@member_required
@require_POST
def submission_approve(request, public_id):
    membership = request.membership
    submission = selectors.get_submission_for_member(membership, public_id)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.submission_approve(membership=membership, submission=submission, note=note)
    except FormsError as exc:
        form.add_error(None, str(exc))
        return _render_submission(request, submission, form, status=INVALID)
    messages.success(request, f"Approved: {submission.surrogate.surrogate_number} updated from the application.")
    return redirect(_detail_url(submission.surrogate))


@member_required
@require_POST
def submission_reject(request, public_id):
    membership = request.membership
    submission = selectors.get_submission_for_member(membership, public_id)
    form = ReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.submission_reject(membership=membership, submission=submission, note=note)
    except FormsError as exc:
        form.add_error("note" if "why" in str(exc) else None, str(exc))
        return _render_submission(request, submission, form, status=INVALID)
    messages.success(request, "Submission rejected.")
    return redirect("forms_public:queue")


# --- Links ----------------------------------------------------------------------------------------


@member_required
@require_POST
def link_issue(request, public_id):
    membership = request.membership
    surrogate = get_surrogate_for_member(membership, public_id)
    form = LinkIssueForm(request.POST, forms_queryset=selectors.published_forms(membership))
    if not form.is_valid():
        messages.error(request, "Choose a published form and a validity of 1 to 60 days.")
        return redirect(_detail_url(surrogate))
    try:
        link, token = services.link_issue(
            membership=membership, surrogate=surrogate, form=form.cleaned_data["form"], days=form.cleaned_data["days"]
        )
    except FormsError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(surrogate))
    url = request.build_absolute_uri(reverse("apply:form", args=[token]))
    response = render(request, "forms_public/link_issued.html", {"surrogate": surrogate, "link": link, "url": url})
    response["Cache-Control"] = "no-store"  # the token is shown this once
    response["Referrer-Policy"] = "no-referrer"
    return response


@member_required
@require_POST
def link_revoke(request, public_id):
    link = selectors.get_link_for_member(request.membership, public_id)
    try:
        services.link_revoke(membership=request.membership, link=link)
    except FormsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Link revoked.")
    return redirect(_detail_url(link.surrogate))


# --- Files ----------------------------------------------------------------------------------------


@csrf_exempt  # checked inside, after the body-size check (forms_public.uploads.limits)
@member_required
@require_POST
def attachment_add(request, public_id):
    surrogate = get_surrogate_for_member(request.membership, public_id)
    return checked_post(request, _attach, limit_bytes=STAFF_BODY_LIMIT, surrogate=surrogate)


def _attach(request, surrogate):
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to attach.")
    else:
        try:
            services.attachment_add(membership=request.membership, surrogate=surrogate, uploaded=form.cleaned_data["file"])
        except FormsError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "File attached; it can be opened once the virus scan has passed.")
    return redirect(_detail_url(surrogate) + "#files")


@member_required
@require_GET
def upload_download(request, public_id):
    upload = selectors.get_upload_for_member(request.membership, public_id)
    if not upload.is_downloadable:
        return render(request, "forms_public/not_available.html", {"upload": upload}, status=409)
    try:
        handle = upload_services.upload_open_verified(upload)
    except (StorageError, OSError):
        return render(request, "forms_public/not_available.html", {"upload": upload}, status=409)
    response = FileResponse(handle, as_attachment=True, filename=upload.original_name, content_type=upload.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
