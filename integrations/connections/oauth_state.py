"""The OAuth `state` of a connect flow: random, kept in the member's session, single use, valid
for five minutes, and only for the user (and organization) that started it. The PKCE verifier
travels with it, so a code is only redeemable by the session that asked for it."""
import secrets

from django.utils import timezone

from integrations.connections.errors import ConnectFlowError

SESSION_KEY = "integrations_oauth_pending"
LIFETIME_SECONDS = 5 * 60
MAX_PENDING = 5

EXPIRED = "That connection attempt expired or was not started from this session. Please try again."


def begin(request, provider: str) -> tuple[str, str]:
    """A new state and PKCE verifier for `provider`, remembered in the session."""
    now = timezone.now().timestamp()
    pending = {
        state: record
        for state, record in request.session.get(SESSION_KEY, {}).items()
        if now - record["created"] <= LIFETIME_SECONDS
    }
    while len(pending) >= MAX_PENDING:
        pending.pop(min(pending, key=lambda s: pending[s]["created"]))
    state, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    pending[state] = {
        "provider": provider,
        "user_id": request.user.pk,
        "membership_id": request.membership.pk,
        "created": now,
        "verifier": verifier,
    }
    request.session[SESSION_KEY] = pending
    return state, verifier


def consume(request, provider: str, state: str) -> str:
    """Take the state out of the session (whatever the outcome) and return its PKCE verifier."""
    pending = dict(request.session.get(SESSION_KEY, {}))
    record = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending
    if record is None:
        raise ConnectFlowError(EXPIRED)
    age = timezone.now().timestamp() - record["created"]
    if (
        record["provider"] != provider
        or record["user_id"] != request.user.pk
        or getattr(request.membership, "pk", None) != record["membership_id"]
        or not 0 <= age <= LIFETIME_SECONDS
    ):
        raise ConnectFlowError(EXPIRED)
    return record["verifier"]
