"""CSV import of surrogates: read, map columns, find problems, then create row by row.

`read_csv` turns bytes into (header, rows) or raises ImportFileError with a message for the
user; `preview` maps the columns and lists the problems without writing; `run_job` creates the
records, each row on its own so a bad row never aborts the others, and keeps progress and a
per-row outcome (row numbers and reasons only: no values, they are PII).
"""
import csv
import datetime
import io
import logging
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from surrogates.models import ImportJob, Priority, Source, Stage, Surrogate
from surrogates.services import SurrogateError, surrogate_create
from tenants.audit import audit_record
from tenants.models import Membership
from tenants.pii import email_hash

logger = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
PREVIEW_ROWS = 10
MAX_LISTED_PROBLEMS = 200
PROGRESS_EVERY = 25

ALIASES = {
    "full_name": {"full_name", "name", "fullname", "surrogate", "surrogate_name"},
    "first_name": {"first_name", "firstname", "first", "given_name"},
    "last_name": {"last_name", "lastname", "last", "surname", "family_name"},
    "email": {"email", "e_mail", "email_address", "mail"},
    "phone": {"phone", "phone_number", "mobile", "cell", "telephone", "tel"},
    "date_of_birth": {"date_of_birth", "dob", "birth_date", "birthdate", "birthday"},
    "stage": {"stage", "status", "pipeline_stage"},
    "source": {"source", "lead_source"},
    "priority": {"priority"},
}
FIELD_LABELS = {
    "full_name": "Full name", "first_name": "First name", "last_name": "Last name", "email": "Email",
    "phone": "Phone", "date_of_birth": "Date of birth", "stage": "Stage", "source": "Source", "priority": "Priority",
}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y")


class ImportFileError(Exception):
    """The file cannot be read as a CSV; the message says why and is safe to show."""


def _normalize_header(value: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", (value or "").strip().lower()).strip("_")


def read_csv(data: bytes) -> tuple[list[str], list[list[str]]]:
    if not data or not data.strip():
        raise ImportFileError("The file is empty.")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError("The file is larger than 10 MB.")
    if b"\x00" in data[:8192]:
        raise ImportFileError("This does not look like a CSV file (it contains binary data).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            raise ImportFileError("The file is not UTF-8 text; save it as “CSV UTF-8” and try again.") from exc
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), dialect, strict=True))
    except csv.Error as exc:
        raise ImportFileError(f"The CSV is malformed ({exc}); check quotes and separators.") from exc
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportFileError("The file is empty.")
    header, body = rows[0], rows[1:]
    if len(body) > MAX_ROWS:
        raise ImportFileError(f"The file has {len(body)} rows; import at most {MAX_ROWS} at a time.")
    if not body:
        raise ImportFileError("The file has a header row but no data rows.")
    return header, body


def detect_mapping(header: list[str]) -> dict[str, str]:
    """CSV column index (as a string) -> field name, for the columns we recognise."""
    mapping, used = {}, set()
    for index, name in enumerate(header):
        key = _normalize_header(name)
        for field_name, aliases in ALIASES.items():
            if key in aliases and field_name not in used:
                mapping[str(index)] = field_name
                used.add(field_name)
                break
    if "full_name" not in used and not {"first_name", "last_name"} <= used:
        raise ImportFileError("No name column found: add a “full_name” column (or “first_name” and “last_name”).")
    return mapping


@dataclass
class RowCheck:
    values: dict
    outcome: str = "ok"  # ok | skipped | failed
    reasons: list = field(default_factory=list)


class RowChecker:
    """Validates rows against the organization: stages, active emails, duplicates within the file."""

    def __init__(self, organization_id):
        stages = list(Stage.objects.filter(organization_id=organization_id, is_active=True))
        self.stages = {s.key.lower(): s for s in stages} | {s.label.lower(): s for s in stages}
        self.active_emails = dict(
            Surrogate.objects.filter(organization_id=organization_id, archived_at__isnull=True)
            .exclude(email_hash="")
            .values_list("email_hash", "number")
        )
        self.seen_emails: dict[str, int] = {}

    def check(self, row_number: int, raw: list[str], mapping: dict[str, str]) -> RowCheck:
        values = {name: (raw[int(index)].strip() if int(index) < len(raw) else "") for index, name in mapping.items()}
        first, last = values.pop("first_name", ""), values.pop("last_name", "")
        if not values.get("full_name"):
            values["full_name"] = f"{first} {last}".strip()
        result = RowCheck(values=values)
        fail = lambda reason: (result.reasons.append(reason), setattr(result, "outcome", "failed"))  # noqa: E731
        if not values["full_name"]:
            fail("missing name")
        elif len(values["full_name"]) > 200:
            fail("name longer than 200 characters")
        email = values.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                fail("bad email")
        stage_name = values.get("stage", "")
        if stage_name:
            stage = self.stages.get(stage_name.lower()) or self.stages.get(_normalize_header(stage_name))
            if stage is None:
                fail(f"unknown stage “{stage_name[:40]}”")
            values["stage"] = stage
        else:
            values["stage"] = None
        dob = values.get("date_of_birth", "")
        values["date_of_birth"] = None
        if dob:
            parsed = _parse_date(dob)
            if parsed is None:
                fail("date of birth not understood (use YYYY-MM-DD)")
            values["date_of_birth"] = parsed
        values["source"] = _choice(values.get("source"), Source, Source.IMPORT)
        values["priority"] = _choice(values.get("priority"), Priority, Priority.NORMAL)
        if result.outcome == "ok" and email:
            hashed = email_hash(email)
            if hashed in self.active_emails:
                result.outcome = "skipped"
                result.reasons.append(f"duplicate of active record S{self.active_emails[hashed]}")
            elif hashed in self.seen_emails:
                result.outcome = "skipped"
                result.reasons.append(f"same email as row {self.seen_emails[hashed]}")
            else:
                self.seen_emails[hashed] = row_number
        return result


def _parse_date(value: str):
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


def _choice(value, choices, default):
    value = (value or "").strip().lower()
    for key, label in choices.choices:
        if value in (key, str(label).lower()):
            return key
    return default


@dataclass
class Preview:
    header: list
    mapping: dict
    rows: list  # first rows: (row number, values, outcome, reasons)
    counts: dict
    problems: list  # (row number, outcome, reasons)
    total: int


def preview(*, organization_id, data: bytes) -> Preview:
    header, body = read_csv(data)
    mapping = detect_mapping(header)
    checker = RowChecker(organization_id)
    counts = {"ok": 0, "skipped": 0, "failed": 0}
    rows, problems = [], []
    for number, raw in enumerate(body, start=2):  # row 1 is the header
        check = checker.check(number, raw, mapping)
        counts[check.outcome] += 1
        if len(rows) < PREVIEW_ROWS:
            rows.append((number, check.values, check.outcome, check.reasons))
        if check.outcome != "ok" and len(problems) < MAX_LISTED_PROBLEMS:
            problems.append((number, check.outcome, check.reasons))
    return Preview(header=header, mapping=mapping, rows=rows, counts=counts, problems=problems, total=len(body))


def job_create(*, membership: Membership, file_name: str, data: bytes) -> tuple[ImportJob, Preview]:
    """Check the file and keep it (encrypted) for the run; ImportFileError if unreadable."""
    result = preview(organization_id=membership.organization_id, data=data)
    text = data.decode("utf-8-sig") if _is_utf8(data) else data.decode("cp1252")
    job = ImportJob.objects.create(
        organization_id=membership.organization_id,
        file_name=(file_name or "import.csv")[-200:],
        content=text,
        mapping=result.mapping,
        total_rows=result.total,
        created_by=membership.user,
    )
    return job, result


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8-sig")
        return True
    except UnicodeDecodeError:
        return False


def job_start(*, membership: Membership, job: ImportJob) -> bool:
    """Claim the job for running (once, even on a double click); the caller enqueues the task."""
    if job.organization_id != membership.organization_id:
        raise SurrogateError("That import belongs to another organization.")
    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportJob.State.PREVIEW).update(state=ImportJob.State.QUEUED)
    if claimed:
        audit_record(
            actor=membership.user,
            action="surrogate.import_started",
            target=job,
            data={"rows": job.total_rows, "file": "csv"},
        )
    return bool(claimed)


def run_job(*, job_id: int, membership: Membership, progress=None) -> ImportJob:
    """Create the records. Runs inside the organization scope (task or command)."""
    job = ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.RUNNING)
    try:
        header, body = read_csv(job.content.encode("utf-8"))
    except ImportFileError as exc:
        ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.State.FAILED, error=str(exc)[:300], finished_at=timezone.now())
        return ImportJob.objects.get(pk=job.pk)
    checker = RowChecker(job.organization_id)
    results, counts = [], {"created": 0, "skipped": 0, "failed": 0}
    for offset, raw in enumerate(body):
        number = offset + 2
        outcome, reason = _import_row(checker, number, raw, job.mapping, membership)
        counts[outcome] += 1
        if outcome != "created" or len(results) < MAX_ROWS:
            results.append({"row": number, "outcome": outcome, "reason": reason})
        if (offset + 1) % PROGRESS_EVERY == 0 or offset + 1 == len(body):
            ImportJob.objects.filter(pk=job.pk).update(
                processed_rows=offset + 1,
                created_count=counts["created"],
                skipped_count=counts["skipped"],
                failed_count=counts["failed"],
            )
        if progress is not None:
            progress(offset + 1, len(body))
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.DONE,
        processed_rows=len(body),
        created_count=counts["created"],
        skipped_count=counts["skipped"],
        failed_count=counts["failed"],
        results=results,
        finished_at=timezone.now(),
    )
    job = ImportJob.objects.get(pk=job.pk)
    audit_record(actor=membership.user, action="surrogate.import_finished", target=job, data=counts)
    return job


def _import_row(checker: RowChecker, number: int, raw, mapping, membership) -> tuple[str, str]:
    check = checker.check(number, raw, mapping)
    if check.outcome != "ok":
        return check.outcome, "; ".join(check.reasons)
    values = check.values
    try:
        surrogate_create(
            membership=membership,
            full_name=values["full_name"],
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            date_of_birth=values.get("date_of_birth"),
            source=values["source"],
            priority=values["priority"],
            stage=values.get("stage"),
        )
    except SurrogateError as exc:
        outcome = "skipped" if "already exists" in str(exc) else "failed"
        return outcome, str(exc)
    except Exception:  # one bad row never aborts the others; the reason is generic, the log has the type
        logger.exception("import row %s failed", number)
        return "failed", "unexpected error"
    return "created", ""


def membership_for(job: ImportJob) -> Membership:
    membership = (
        Membership.objects.filter(organization_id=job.organization_id, user_id=job.created_by_id, is_active=True)
        .select_related("user", "organization")
        .first()
    )
    if membership is None:
        raise SurrogateError("The person who started this import is no longer a member.")
    return membership
