"""manage.py rotate_encryption_keys: every encrypted column of every installed model ends up under
the newest key, readable with ONLY that key afterwards; batches; resumable after an interruption;
refuses a single or malformed key list."""
import io
import re

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from integrations.connections.models import OAuthConnection
from surrogates.models import Surrogate
from tenants import key_rotation
from tenants.models import Role
from tenants.scope import org_scope, unscoped
from tests.integrations_connections.conftest import make_connection
from tests.test_url_sweep import _populate

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

NEW = Fernet.generate_key().decode()


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def raw_values():
    """(model label, column, pk, stored text) for every non-empty encrypted value in the database."""
    qn = connection.ops.quote_name
    found = []
    for column_set in key_rotation.encrypted_columns():
        meta = column_set.model._meta
        for fld in column_set.fields:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {qn(meta.pk.column)}, {qn(fld.column)} FROM {qn(meta.db_table)}")
                for pk, value in cursor.fetchall():
                    if value not in (None, ""):
                        found.append((meta.label, fld.column, pk, value))
    return found


def under(key, value) -> bool:
    try:
        Fernet(key).decrypt(value.encode())
        return True
    except InvalidToken:
        return False


def plaintexts():
    """Every encrypted field's value, read through the ORM with whatever keys are configured."""
    values = {}
    with unscoped():
        for column_set in key_rotation.encrypted_columns():
            names = [f.name for f in column_set.fields]
            for row in column_set.model._base_manager.order_by("pk").values("pk", *names):
                values[(column_set.label, row.pop("pk"))] = row
    return values


@pytest.fixture
def seeded(world):
    """One of nearly everything (the URL sweep's seed) in both orgs, plus OAuth tokens, all under the old key."""
    _populate(world, world.org_a)
    _populate(world, world.org_b)
    make_connection(world.member(world.org_a, Role.CASE_MANAGER), "gmail", refresh_token="1//refresh-secret")
    MetaPage = apps.get_model("meta", "MetaPage")  # the Meta page tokens are covered too
    with org_scope(world.org_b):
        MetaPage.objects.create(organization=world.org_b, page_id="1020304050", name="Sweep page", access_token="EAAB-page-token")
    return world


def test_discovers_encrypted_columns_across_apps():
    labels = {c.label: {f.name for f in c.fields} for c in key_rotation.encrypted_columns()}
    assert {"email", "phone", "date_of_birth"} <= labels["surrogates.Surrogate"]
    assert {"access_token", "refresh_token", "account_email"} <= labels["integrations.OAuthConnection"]
    assert "to_email" in labels["messaging.EmailLog"] and "visitor_email" in labels["booking.Appointment"]


def test_rotation_leaves_every_value_readable_with_only_the_new_key(seeded, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    before_raw = raw_values()
    before = plaintexts()
    models_seeded = {label for label, *_ in before_raw}
    assert len(before_raw) > 40 and len(models_seeded) >= 8
    assert all(under(old, value) for *_, value in before_raw)

    settings.FIELD_ENCRYPTION_KEYS = [NEW, old]  # step 1: new key first, old still decrypts
    out, err = run("--batch-size", "7")
    assert f"{len(before_raw)} values re-encrypted, 0 already under the newest key" in out
    assert "surrogates.Surrogate (email, phone, date_of_birth" in out and "integrations.OAuthConnection" in out
    assert "meta.MetaPage (access_token): 1 rows, 1 re-encrypted" in out
    assert "old keys can be removed" in out
    assert "row" in err and "100%" in err  # the progress bar

    after_raw = raw_values()
    assert len(after_raw) == len(before_raw)
    assert all(under(NEW, value) and not under(old, value) for *_, value in after_raw)

    settings.FIELD_ENCRYPTION_KEYS = [NEW]  # step 3: the old key is gone
    assert plaintexts() == before
    member = seeded.member(seeded.org_a, Role.CASE_MANAGER)
    conn = OAuthConnection._base_manager.get(membership=member, provider="gmail")
    assert conn.refresh_token == "1//refresh-secret"
    with org_scope(seeded.org_a):
        assert Surrogate.objects.filter(email__isnull=False).exclude(email="").exists()


def test_an_interrupted_rotation_resumes_where_it_stopped(seeded, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    total = len(raw_values())
    settings.FIELD_ENCRYPTION_KEYS = [NEW, old]

    out, _ = run("--batch-size", "3", "--max-batches", "2", "--no-progress")
    assert "Stopped at --max-batches" in out
    done = sum(under(NEW, v) for *_, v in raw_values())
    assert 0 < done < total
    with pytest.raises(CommandError, match="not yet under the newest key"):
        run("--check", "--no-progress")

    out, _ = run("--batch-size", "50", "--no-progress")
    assert f"{total - done} values re-encrypted, {done} already under the newest key" in out
    assert all(under(NEW, v) for *_, v in raw_values())
    out, _ = run("--check", "--no-progress")
    assert "Nothing left to re-encrypt" in out and f"{total} already under the newest key" in out
    # A third run changes nothing.
    out, _ = run("--no-progress")
    assert f"0 values re-encrypted, {total} already under the newest key" in out


def test_a_value_no_key_can_read_is_reported_and_the_rest_still_rotates(world, settings):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    member = world.member(world.org_a, Role.ADMIN)
    conn = make_connection(member, refresh_token="1//r")
    foreign = Fernet(Fernet.generate_key()).encrypt(b"lost").decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE integrations_oauthconnection SET access_token = %s WHERE id = %s", [foreign, conn.pk])
    settings.FIELD_ENCRYPTION_KEYS = [NEW, old]
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 values decrypt with none of the configured keys"):
        call_command("rotate_encryption_keys", "--no-progress", stdout=out, stderr=io.StringIO())
    assert f"UNREADABLE (row ids: {conn.pk})" in out.getvalue()
    assert "lost" not in out.getvalue()
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM integrations_oauthconnection WHERE id = %s", [conn.pk])
        access, refresh = cursor.fetchone()
    assert access == foreign and under(NEW, refresh)


@pytest.mark.parametrize(
    "keys, message",
    [
        (lambda old: [old], "holds 1 key(s)"),
        (lambda old: [], "holds 0 key(s)"),
        (lambda old: ["not-a-fernet-key", old], "entry 1 is not a valid Fernet key"),
        (lambda old: [NEW, "c2hvcnQ="], "entry 2 is not a valid Fernet key"),
        (lambda old: [old, old], "lists the same key twice"),
    ],
)
def test_refuses_a_key_list_it_cannot_rotate_with(world, settings, keys, message):
    old = settings.FIELD_ENCRYPTION_KEYS[0]
    make_connection(world.member(world.org_a, Role.ADMIN), refresh_token="1//r")
    before = raw_values()
    settings.FIELD_ENCRYPTION_KEYS = keys(old)
    with pytest.raises(CommandError, match=re.escape(message)) as info:
        run()
    assert old not in str(info.value) and NEW not in str(info.value)
    settings.FIELD_ENCRYPTION_KEYS = [old]
    assert raw_values() == before


def test_bad_batch_options_are_refused(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW, settings.FIELD_ENCRYPTION_KEYS[0]]
    with pytest.raises(CommandError, match="at least 1"):
        run("--batch-size", "0")
