"""CSV import pages: upload -> preview (mapping, problems) -> start -> progress -> summary."""
from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from surrogates import imports
from surrogates.imports import FIELD_LABELS, MAX_IMPORT_BYTES, ImportFileError
from surrogates.models import ImportJob
from surrogates.tasks import import_run
from tenants import permissions as perms
from tenants.access import member_required, require_perm


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="Up to 10 MB. The first row names the columns.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 10 MB.")
        return upload


def _get_job(membership, public_id) -> ImportJob:
    job = ImportJob.objects.filter(organization_id=membership.organization_id, public_id=public_id).first()
    if job is None:
        raise Http404("No such import.")
    return job


@member_required
def import_upload(request):
    require_perm(request, perms.IMPORT_SURROGATES)
    membership = request.membership
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job, _ = imports.job_create(membership=membership, file_name=upload.name, data=upload.read())
        except ImportFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("surrogates:import-detail", job.public_id)
    recent = ImportJob.objects.filter(organization_id=membership.organization_id).select_related("created_by")[:10]
    status = 400 if request.method == "POST" else 200
    return render(request, "surrogates/import_upload.html", {"form": form, "recent": recent}, status=status)


@member_required
def import_detail(request, public_id):
    require_perm(request, perms.IMPORT_SURROGATES)
    job = _get_job(request.membership, public_id)
    context = {"job": job}
    if job.state == ImportJob.State.PREVIEW:
        try:
            result = imports.preview(organization_id=job.organization_id, data=job.content.encode("utf-8"))
        except ImportFileError as exc:
            context["error"] = str(exc)
        else:
            context["preview"] = result
            context["columns"] = [
                (name, FIELD_LABELS.get(result.mapping.get(str(index), ""), "")) for index, name in enumerate(result.header)
            ]
            context["fields"] = [f for f in FIELD_LABELS if f in result.mapping.values() or f == "full_name"]
    elif job.state == ImportJob.State.DONE:
        context["problems"] = [r for r in job.results if r["outcome"] != "created"][:500]
    return render(request, "surrogates/import_detail.html", context)


@member_required
@require_POST
def import_start(request, public_id):
    require_perm(request, perms.IMPORT_SURROGATES)
    membership = request.membership
    job = _get_job(membership, public_id)
    with transaction.atomic():
        started = imports.job_start(membership=membership, job=job)
        if started:
            organization_id, job_id = job.organization_id, job.pk
            transaction.on_commit(lambda: import_run.delay(organization_id=organization_id, job_id=job_id))
    if not started:
        messages.info(request, "This import has already been started.")
    return redirect("surrogates:import-detail", job.public_id)


@member_required
def import_progress(request, public_id):
    require_perm(request, perms.IMPORT_SURROGATES)
    job = _get_job(request.membership, public_id)
    return JsonResponse(
        {
            "state": job.state,
            "total": job.total_rows,
            "processed": job.processed_rows,
            "created": job.created_count,
            "skipped": job.skipped_count,
            "failed": job.failed_count,
            "done": job.state in (ImportJob.State.DONE, ImportJob.State.FAILED),
        }
    )
