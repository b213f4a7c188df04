"""Application-form rows for the URL sweep (tests/test_url_sweep.py): a published form, an open
link, a pending submission and an upload, so every forms_public URL is tried with another org's ids."""
import datetime

from django.utils import timezone

from forms_public import services
from forms_public.models import FieldType, Form, FormField
from forms_public.uploads.models import Upload


def populate(org, admin, surrogate) -> None:
    form = Form.objects.create(organization=org, name=f"Sweep form {org.slug}")
    FormField.objects.create(organization=org, form=form, key="full_name", label="Name", field_type=FieldType.TEXT,
                             required=True, maps_to="full_name")
    services.form_publish(membership=admin, form=form)
    form.refresh_from_db()
    used, _ = services.link_issue(membership=admin, surrogate=surrogate, form=form)
    services.link_issue(membership=admin, surrogate=surrogate, form=form)  # stays open
    submission = services.submission_create(link=used, answers={"full_name": "Swept"}, files={}, kinds={})
    Upload.objects.create(
        organization=org, surrogate=surrogate, submission=submission, original_name="sweep.pdf", kind="pdf",
        content_type="application/pdf", size=1, sha256="0" * 64, storage_name="", scan_state="clean",
        scanned_at=timezone.now() - datetime.timedelta(minutes=1),
    )
