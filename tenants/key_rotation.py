"""Re-encrypt every encrypted column under the newest FIELD_ENCRYPTION_KEYS key.

Columns are found generically: every concrete field of every installed model that is an
EncryptedTextField (EncryptedDateField and any other subclass included), so models added later
are covered without a list to maintain.

Rows are read and written with plain SQL, in primary-key order and batches: no model save()
(no auto_now, no signals, no scope checks), and no plaintext leaves this module. A value already
under the newest key is skipped, so an interrupted run simply resumes when started again. Each
write is conditional on the ciphertext still being the one read (UPDATE ... WHERE col = old),
so a value the application rewrote meanwhile is never overwritten with stale data.
"""
import binascii
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from tenants.fields import EncryptedTextField

DEFAULT_BATCH_SIZE = 500


class RotationRefused(Exception):
    """The key configuration does not allow a rotation (message names no key material)."""


@dataclass
class ColumnSet:
    model: type
    fields: list

    @property
    def label(self) -> str:
        return self.model._meta.label


@dataclass
class Counts:
    rows: int = 0
    rotated: int = 0
    current: int = 0
    changed_meanwhile: int = 0
    unreadable: int = 0
    unreadable_rows: list = field(default_factory=list)


def encrypted_columns() -> list[ColumnSet]:
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        fields = [f for f in meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if fields:
            found.append(ColumnSet(model=model, fields=fields))
    return sorted(found, key=lambda c: c.label)


def checked_keys() -> tuple[Fernet, MultiFernet]:
    """(newest key, all keys), or RotationRefused when rotating makes no sense or is unsafe."""
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    if len(keys) < 2:
        raise RotationRefused(
            f"FIELD_ENCRYPTION_KEYS holds {len(keys)} key(s); rotation needs the new key first and the old "
            "key(s) after it (FIELD_ENCRYPTION_KEYS=new,old), deployed to every process before you rotate."
        )
    fernets = []
    for index, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError, binascii.Error):
            raise RotationRefused(
                f"FIELD_ENCRYPTION_KEYS entry {index} is not a valid Fernet key (32 url-safe base64-encoded bytes)."
            ) from None
    if len(set(keys)) != len(keys):
        raise RotationRefused("FIELD_ENCRYPTION_KEYS lists the same key twice.")
    return fernets[0], MultiFernet(fernets)


def total_rows(columns: list[ColumnSet]) -> int:
    return sum(c.model._base_manager.count() for c in columns)


def _batches(column_set: ColumnSet, batch_size: int):
    meta = column_set.model._meta
    qn = connection.ops.quote_name
    pk = qn(meta.pk.column)
    cols = ", ".join(qn(f.column) for f in column_set.fields)
    table = qn(meta.db_table)
    last = None
    while True:
        where, params = ("", []) if last is None else (f" WHERE {pk} > %s", [last])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {cols} FROM {table}{where} ORDER BY {pk} LIMIT %s", [*params, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def rotate_column_set(column_set, *, newest, all_keys, batch_size, max_batches=None, write=True, progress=None) -> tuple[Counts, int, bool]:
    """Returns (counts, batches used, finished). Stops after `max_batches` batches when given;
    `finished` is False when rows were left for a later run."""
    meta = column_set.model._meta
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    counts, used = Counts(), 0
    for rows in _batches(column_set, batch_size):
        if max_batches is not None and used >= max_batches:
            return counts, used, False
        used += 1
        pending = {fld.column: [] for fld in column_set.fields}  # column -> [(new, pk, old)]
        for row in rows:
            row_pk, values = row[0], row[1:]
            counts.rows += 1
            for fld, value in zip(column_set.fields, values):
                if value in (None, ""):
                    continue
                token = value.encode()
                try:
                    newest.decrypt(token)
                    counts.current += 1
                    continue
                except InvalidToken:
                    pass
                try:
                    pending[fld.column].append((all_keys.rotate(token).decode(), row_pk, value))
                except InvalidToken:
                    counts.unreadable += 1
                    counts.unreadable_rows.append(row_pk)
        if write:
            with transaction.atomic(), connection.cursor() as cursor:
                for column, params in pending.items():
                    if not params:
                        continue
                    col = qn(column)
                    cursor.executemany(f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s", params)
                    # rowcount after executemany is the total of rows updated
                    counts.rotated += cursor.rowcount
                    counts.changed_meanwhile += len(params) - cursor.rowcount
        else:
            counts.rotated += sum(len(params) for params in pending.values())
        if progress:
            progress(len(rows))
    return counts, used, True
