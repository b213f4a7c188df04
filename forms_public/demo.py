"""Demo data for seed_demo (tenants/demo_seed.py): a published application form per org and one
open link to it. Tokens are stored hashed, so the demo token is derived from SECRET_KEY and a
counter (seed_demo is refused in staging/production): a re-run recomputes the open link's URL
for the manifest, and issues the next one only when that link was used, revoked or expired."""
import base64
import hashlib
import hmac

from django.conf import settings
from django.urls import reverse

from forms_public import services
from forms_public.models import ApplicationLink, FieldType, Form, FormField, SurrogateField
from surrogates.models import Surrogate

DEMO_FORM_NAME = "Surrogate application"
DEMO_FIELDS = [
    (1, "full_name", "Full legal name", FieldType.TEXT, True, "", SurrogateField.FULL_NAME),
    (1, "email", "Email", FieldType.EMAIL, True, "", SurrogateField.EMAIL),
    (1, "phone", "Mobile phone", FieldType.PHONE, True, "", SurrogateField.PHONE),
    (1, "date_of_birth", "Date of birth", FieldType.DATE, True, "", SurrogateField.DATE_OF_BIRTH),
    (1, "address", "Home address", FieldType.ADDRESS, False, "", ""),
    (2, "pregnancies", "Number of previous pregnancies", FieldType.NUMBER, True, "", ""),
    (2, "delivery", "Delivery types", FieldType.MULTISELECT, False, "Vaginal\nC-section", ""),
    (2, "smoker", "Do you smoke or vape?", FieldType.RADIO, True, "No\nYes", ""),
    (2, "insurance", "Health insurance", FieldType.SELECT, False, "Employer\nMarketplace\nMedicaid\nNone", ""),
    (2, "about", "Tell us about yourself", FieldType.TEXTAREA, False, "", ""),
    (3, "records", "Medical records (PDF, photos, Word)", FieldType.FILE, False, "", ""),
    (3, "consent", "I confirm my answers are true", FieldType.CHECKBOX, True, "", ""),
]


def _token(slug: str, index: int) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"demo-apply:{slug}:{index}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")  # 43 characters, like token_urlsafe(32)


def seed_form(*, organization, admin) -> Form:
    form = Form.objects.filter(name=DEMO_FORM_NAME).first()
    if form is None:
        form = Form.objects.create(organization=organization, name=DEMO_FORM_NAME,
                                   intro="Thank you for your interest. It takes about ten minutes.")
        for order, (page, key, label, kind, required, options, maps_to) in enumerate(DEMO_FIELDS):
            FormField.objects.create(organization=organization, form=form, page=page, order=order, key=key,
                                     label=label, field_type=kind, required=required, options=options,
                                     maps_to=maps_to)
    if form.published_version_id is None:
        services.form_publish(membership=admin, form=form)
        form.refresh_from_db()
    return form


def _demo_surrogate():
    return Surrogate.objects.filter(archived_at__isnull=True).order_by("number").first()


def seed_link(*, organization, admin, form) -> None:
    """Make sure the demo surrogate has an open demo link (a used or missing one gets a fresh one)."""
    surrogate = _demo_surrogate()
    if surrogate is None:
        return
    index = ApplicationLink.objects.filter(surrogate=surrogate, form_version__form=form).count()
    if index and _open_link(organization, index - 1) is not None:
        return
    services.link_issue(membership=admin, surrogate=surrogate, form=form, token=_token(organization.slug, index))


def _open_link(organization, index):
    return services.link_for_token(_token(organization.slug, index))


def apply_urls(*, organization, base_url: str) -> list[str]:
    surrogate = _demo_surrogate()
    form = Form.objects.filter(name=DEMO_FORM_NAME).first()
    if surrogate is None or form is None:
        return []
    count = ApplicationLink.objects.filter(surrogate=surrogate, form_version__form=form).count()
    urls = []
    for index in range(count):
        token = _token(organization.slug, index)
        if _open_link(organization, index) is not None:
            urls.append(base_url + reverse("apply:form", args=[token]))
    return urls
