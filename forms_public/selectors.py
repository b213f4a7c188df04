"""Reads for the staff pages. Every object is reached through a surrogate the member may see
(surrogates.selectors.surrogates_visible_to), so another organization's ids, or records not
yours to see, are all Http404."""
from django.http import Http404

from forms_public.models import ApplicationLink, Form, Submission
from forms_public.uploads.models import Upload
from surrogates.selectors import surrogates_visible_to

RECENT_LIMIT = 20


def published_forms(membership):
    return Form.objects.filter(
        organization_id=membership.organization_id, published_version__isnull=False
    ).select_related("published_version")


def forms_for_admin(membership):
    return Form.objects.filter(organization_id=membership.organization_id).select_related("published_version")


def submissions_visible_to(membership):
    return Submission.objects.filter(
        organization_id=membership.organization_id, surrogate__in=surrogates_visible_to(membership)
    ).select_related("surrogate", "form_version", "reviewed_by")


def review_queue(membership):
    return submissions_visible_to(membership).filter(status=Submission.Status.PENDING).order_by("submitted_at", "id")


def recently_reviewed(membership, limit: int = RECENT_LIMIT):
    return submissions_visible_to(membership).exclude(status=Submission.Status.PENDING).order_by(
        "-reviewed_at", "-id"
    )[:limit]


def get_submission_for_member(membership, public_id) -> Submission:
    submission = submissions_visible_to(membership).filter(public_id=public_id).first()
    if submission is None:
        raise Http404("No such submission.")
    return submission


def get_link_for_member(membership, public_id) -> ApplicationLink:
    link = (
        ApplicationLink.objects.filter(
            organization_id=membership.organization_id,
            surrogate__in=surrogates_visible_to(membership),
            public_id=public_id,
        )
        .select_related("surrogate")
        .first()
    )
    if link is None:
        raise Http404("No such link.")
    return link


def get_upload_for_member(membership, public_id) -> Upload:
    upload = (
        Upload.objects.filter(
            organization_id=membership.organization_id,
            surrogate__in=surrogates_visible_to(membership),
            public_id=public_id,
        )
        .select_related("surrogate")
        .first()
    )
    if upload is None:
        raise Http404("No such file.")
    return upload


def surrogate_links(surrogate):
    return ApplicationLink.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "form_version", "created_by"
    )


def surrogate_submissions(surrogate):
    return Submission.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "form_version"
    )


def surrogate_uploads(surrogate):
    return Upload.objects.filter(organization_id=surrogate.organization_id, surrogate=surrogate).select_related(
        "uploaded_by"
    )


def submission_uploads(submission):
    return Upload.objects.filter(organization_id=submission.organization_id, submission=submission)
