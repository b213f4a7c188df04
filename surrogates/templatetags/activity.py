"""Activity entries as sentences a coordinator reads, not as raw event data."""
from django import template

register = template.Library()


def _stage(key) -> str:
    return str(key or "").replace("_", " ").capitalize()


def _fields(data) -> str:
    names = [name.replace("_id", "").replace("_", " ") for name in data if name != "fields"]
    names += [name.replace("_", " ") for name in data.get("fields", [])]
    return ", ".join(names) or "details"


SENTENCES = {
    "surrogate.created": lambda d: f"created the record in {_stage(d.get('stage'))}",
    "surrogate.updated": lambda d: f"edited {_fields(d)}",
    "surrogate.archived": lambda d: "archived the record",
    "surrogate.restored": lambda d: "restored the record",
    "surrogate.stage_regression_requested": lambda d: f"asked to move back from {_stage(d.get('from'))} to {_stage(d.get('to'))}",
    "surrogate.stage_regression_rejected": lambda d: "rejected a request to move back",
    "surrogate.stage_regression_cancelled": lambda d: "cancelled a request to move back",
    "note.added": lambda d: "added a note",
    "task.created": lambda d: "added a task",
    "task.completed": lambda d: "completed a task",
    "task.reopened": lambda d: "reopened a task",
    "admin.changed": lambda d: f"changed {_fields(d)} in admin",
    "surrogate.owner_changed": lambda d: {
        "claim": "claimed the record from its queue",
        "release": "released the record to a queue",
        "approved": "handed the record to the Surrogate Pool (approved)",
    }.get(d.get("via"), "changed the owner"),
}


def _stage_change(data) -> str:
    kind = data.get("kind")
    move = f"from {_stage(data.get('from'))} to {_stage(data.get('to'))}"
    if kind == "undo":
        return f"undid the last move ({move})"
    if kind == "approved_regression":
        return f"approved the move back {move}"
    return f"moved the record {move}"


@register.filter
def activity_sentence(event) -> str:
    data = event.data or {}
    if event.action == "surrogate.stage_changed":
        return _stage_change(data)
    render = SENTENCES.get(event.action)
    return render(data) if render else event.action.replace(".", " ").replace("_", " ")
