"""The organization scope: one contextvar, entered once per entry point, always reset.

Entry points: TenantScopeMiddleware (requests), public token/slug resolution, OrgScopedTask
(Celery), the Channels consumer base, and management commands. Ops code that truly needs every
organization uses `unscoped()`: explicit and easy to grep for.

We use our own ~50 lines rather than django-scopes because there `scope(organization=None)`
means "no filter", i.e. all rows: here a missing organization is always an error.
"""
from contextlib import contextmanager
from contextvars import ContextVar

_UNSCOPED = object()
_current = ContextVar("cradle_organization", default=None)


class ScopeError(RuntimeError):
    """Tenant-owned data was touched with no organization in scope."""


@contextmanager
def org_scope(organization):
    if organization is None or getattr(organization, "pk", None) is None:
        raise ScopeError("org_scope() needs a saved Organization.")
    token = _current.set(organization)
    try:
        yield organization
    finally:
        _current.reset(token)


@contextmanager
def unscoped():
    """Every organization's rows. Ops code only (migrations of data, platform admin, seeding)."""
    token = _current.set(_UNSCOPED)
    try:
        yield
    finally:
        _current.reset(token)


def current_org():
    """The organization in scope, or None when unscoped or no scope at all."""
    value = _current.get()
    return None if value is _UNSCOPED else value


def require_org():
    value = _current.get()
    if value is None or value is _UNSCOPED:
        raise ScopeError("No organization in scope.")
    return value


def scope_filter_value():
    """The organization id to filter by, None for unscoped, or ScopeError with no scope."""
    value = _current.get()
    if value is None:
        raise ScopeError(
            "Tenant-owned data queried with no organization in scope; enter org_scope() at the entry point."
        )
    if value is _UNSCOPED:
        return None
    return value.pk
