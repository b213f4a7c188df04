"""Shared by the surrogate services: the domain error and the permission/organization guards."""
import datetime

from tenants import permissions as perms
from tenants.models import Membership
from surrogates.models import StageType

UNDO_WINDOW = datetime.timedelta(minutes=5)
# A datetime this close to now counts as "now", not as backdated (clock skew, slow form posts).
NOW_TOLERANCE = datetime.timedelta(minutes=1)
STAGE_PERMISSION = {
    StageType.INTAKE: perms.SET_INTAKE_STAGE,
    StageType.POST_APPROVAL: perms.SET_POST_APPROVAL_STAGE,
    StageType.TERMINAL: perms.SET_TERMINAL_STAGE,
}
NOTE_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "a", "blockquote", "code", "pre"}


class SurrogateError(Exception):
    """A rule refused the action; the message is safe to show to the user."""


def _require(membership: Membership, permission: str) -> None:
    if not perms.has_perm(membership, permission):
        raise SurrogateError("Your role does not allow this.")


def _same_org(membership: Membership, *objects) -> None:
    """Refuse to link rows across organizations (the database refuses it too)."""
    for obj in objects:
        if obj is not None and obj.organization_id != membership.organization_id:
            raise SurrogateError("That record belongs to another organization.")

