"""Signed-in sessions for the URL sweep (tests/test_url_sweep.py): one per member of the given
organization. Sessions belong to a person, not an organization, so the sweep cannot find them
through the tenant models; it takes these rows as well."""
import secrets

from accounts import sessions
from accounts.models import UserSession
from tenants.scope import org_scope, unscoped
from tenants.models import Membership


def populate(world, org):
    with org_scope(org), unscoped():
        users = [m.user for m in Membership.objects.filter(organization=org).select_related("user")]
    rows = []
    for user in users:
        key = secrets.token_urlsafe(24)
        rows.append(UserSession.objects.create(user=user, key_hash=sessions.key_hash(key), key_ciphertext=key))
    return rows
