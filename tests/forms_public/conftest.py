"""Application forms and uploads: a published form in each org, files built at run time.

The EICAR test string is decoded from the hex signature the repo ships for clamd
(.ci/clamav/cradle-test.ndb), so no file in the repo holds it literally.
"""
import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from forms_public import services
from forms_public.models import FieldType, Form, FormField, SurrogateField
from forms_public.services import hash_token
from surrogates.services import surrogate_create
from tenants.models import Role
from tenants.scope import org_scope

SIGNATURES = Path(__file__).resolve().parents[2] / ".ci" / "clamav" / "cradle-test.ndb"


def eicar() -> bytes:
    line = SIGNATURES.read_text().strip().splitlines()[0]
    return bytes.fromhex(line.rsplit(":", 1)[1])


def pdf_bytes(extra: bytes = b"", size: int = 0) -> bytes:
    body = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + extra + b"\n"
    if size > len(body):
        body += b"%" + b"0" * (size - len(body) - 7) + b"\n"
    return body + b"%%EOF\n"


def docx_bytes(document: bytes = b"<w:document/>") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", document)
    return out.getvalue()


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"  # Make
    exif[0x8825] = {2: (40.0, 26.0, 46.0)}  # GPS latitude
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def make_form(org, admin_membership, *, name="Intake application", max_file_size_mb=10, max_file_count=10):
    with org_scope(org):
        form = Form.objects.create(
            organization=org, name=name, max_file_size_mb=max_file_size_mb, max_file_count=max_file_count
        )
        specs = [
            ("full_name", "Full name", FieldType.TEXT, True, "", SurrogateField.FULL_NAME),
            ("email", "Email", FieldType.EMAIL, True, "", SurrogateField.EMAIL),
            ("phone", "Phone", FieldType.PHONE, False, "", SurrogateField.PHONE),
            ("dob", "Date of birth", FieldType.DATE, True, "", SurrogateField.DATE_OF_BIRTH),
            ("pregnancies", "Previous pregnancies", FieldType.NUMBER, False, "", ""),
            ("state", "State", FieldType.SELECT, True, "Texas\nOhio\nUtah", ""),
            ("smoker", "Do you smoke?", FieldType.RADIO, True, "No\nYes", ""),
            ("languages", "Languages", FieldType.MULTISELECT, False, "English\nSpanish", ""),
            ("consent", "I agree to the terms", FieldType.CHECKBOX, True, "", ""),
            ("about", "About you", FieldType.TEXTAREA, False, "", ""),
            ("address", "Address", FieldType.ADDRESS, False, "", ""),
            ("records", "Medical records", FieldType.FILE, False, "", ""),
        ]
        for order, (key, label, kind, required, options, maps_to) in enumerate(specs):
            FormField.objects.create(
                organization=org, form=form, page=1 if order < 6 else 2, order=order, key=key, label=label,
                field_type=kind, required=required, options=options, maps_to=maps_to,
            )
        services.form_publish(membership=admin_membership, form=form)
        form.refresh_from_db()
    return form


class Apply:
    """One org's published form, a surrogate and a fresh link (token in clear) to it."""

    def __init__(self, world, org):
        self.world = world
        self.org = org
        self.admin = world.member(org, Role.ADMIN)
        self.intake = world.member(org, Role.INTAKE_SPECIALIST)
        self.form = make_form(org, self.admin)
        with org_scope(org):
            self.surrogate = surrogate_create(
                membership=self.admin, full_name="Applicant Placeholder", owner=self.intake.user
            )
        self.link, self.token = self.new_link()

    def new_link(self, days=14):
        with org_scope(self.org):
            return services.link_issue(membership=self.admin, surrogate=self.surrogate, form=self.form, days=days)

    @property
    def url(self):
        return f"/apply/{self.token}/"


@pytest.fixture
def apply_a(world):
    return Apply(world, world.org_a)


@pytest.fixture
def apply_b(world):
    return Apply(world, world.org_b)


def valid_answers(**overrides) -> dict:
    data = {
        "full_name": "Rosa Applicant",
        "email": "rosa@example.com",
        "phone": "+1 555 010 2233",
        "dob": "1992-04-05",
        "pregnancies": "2",
        "state": "Ohio",
        "smoker": "No",
        "languages": ["English", "Spanish"],
        "consent": "on",
        "about": "Two healthy pregnancies.",
        "address_0": "1 Main St",
        "address_1": "Columbus",
        "address_2": "OH",
        "address_3": "43004",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


__all__ = ["eicar", "pdf_bytes", "docx_bytes", "jpeg_with_exif", "make_form", "valid_answers", "hash_token"]
