"""Notes and tasks on a surrogate."""
import nh3
from django.db import transaction
from django.utils import timezone

from surrogates.models import Note, Surrogate, Task
from surrogates.services.common import NOTE_TAGS, SurrogateError, _require, _same_org
from surrogates.services.records import TASK_DUE_HORIZON
from tenants import permissions as perms
from tenants.audit import audit_record
from tenants.models import Membership


# --- Notes and tasks ------------------------------------------------------------------------


def sanitize_note_html(html: str) -> str:
    return nh3.clean(html or "", tags=NOTE_TAGS, attributes={"a": {"href", "title"}}, link_rel="noopener noreferrer")


def note_add(*, membership: Membership, surrogate: Surrogate, body: str) -> Note:
    _require(membership, perms.ADD_NOTE)
    _same_org(membership, surrogate)
    clean = sanitize_note_html(body).strip()
    if not nh3.clean(clean, tags=set()).strip():
        raise SurrogateError("A note cannot be empty.")
    with transaction.atomic():
        note = Note.objects.create(
            organization_id=surrogate.organization_id, surrogate=surrogate, author=membership.user, body_html=clean
        )
        audit_record(actor=membership.user, action="note.added", target=surrogate, data={"note": str(note.public_id)})
    return note


def task_create(*, membership: Membership, surrogate: Surrogate, title: str, due_date=None) -> Task:
    _require(membership, perms.MANAGE_TASKS)
    _same_org(membership, surrogate)
    title = (title or "").strip()
    if not title:
        raise SurrogateError("A task needs a title.")
    if due_date is not None:
        today = timezone.localdate()
        if not today - TASK_DUE_HORIZON <= due_date <= today + TASK_DUE_HORIZON:
            raise SurrogateError("Pick a due date within ten years of today.")
    with transaction.atomic():
        task = Task.objects.create(
            organization_id=surrogate.organization_id,
            surrogate=surrogate,
            title=title,
            due_date=due_date,
            created_by=membership.user,
        )
        audit_record(
            actor=membership.user,
            action="task.created",
            target=surrogate,
            data={"task": str(task.public_id), "due_date": due_date.isoformat() if due_date else None},
        )
    return task


def task_set_completed(*, membership: Membership, task: Task, completed: bool) -> Task:
    _require(membership, perms.MANAGE_TASKS)
    _same_org(membership, task)
    with transaction.atomic():
        task.completed_at = timezone.now() if completed else None
        task.save(update_fields=["completed_at"])
        audit_record(
            actor=membership.user,
            action="task.completed" if completed else "task.reopened",
            target=task.surrogate,
            data={"task": str(task.public_id)},
        )
    return task

