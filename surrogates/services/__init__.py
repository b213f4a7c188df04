"""Business rules for surrogate records. Views call these; nothing else writes these tables.

Every function takes keyword-only arguments, runs inside the caller's organization scope,
checks the actor's permission, writes in one transaction and records one audit event.

Split by sub-domain; import from here (`from surrogates import services`), the modules are
an implementation detail:
- common: SurrogateError and the guards
- records: pipeline defaults, create / edit / archive / restore
- status: stage changes, undo, regression requests and their decisions
- notes: notes and tasks
- queues: queues, claim / release / assign
"""
from surrogates.services.common import (  # noqa: F401
    NOTE_TAGS,
    NOW_TOLERANCE,
    STAGE_PERMISSION,
    UNDO_WINDOW,
    SurrogateError,
    _require,
    _same_org,
)
from surrogates.services.notes import note_add, sanitize_note_html, task_create, task_set_completed  # noqa: F401
from surrogates.services.queues import (  # noqa: F401
    QueueError,
    queue_create,
    queues_install_defaults,
    surrogate_assign,
    surrogate_bulk_assign,
    surrogate_claim,
    surrogate_release,
    system_queue,
)
from surrogates.services.records import (  # noqa: F401
    EARLIEST_BIRTH_DATE,
    PHONE_SHAPE,
    PII_FIELDS,
    PROFILE_FIELDS,
    TASK_DUE_HORIZON,
    _audit_values,
    _check_contact,
    _check_owner,
    _check_unique_email,
    _issue_number,
    pipeline_install_defaults,
    stages_settable_by,
    surrogate_archive,
    surrogate_create,
    surrogate_create_from_lead,
    surrogate_restore,
    surrogate_update,
)
from surrogates.services.status import (  # noqa: F401
    _apply_stage,
    _is_undo,
    _lock_pending,
    resolve_effective_at,
    status_request_approve,
    status_request_cancel,
    status_request_reject,
    surrogate_change_status,
)
