"""One statement for a hot path: raw joined rows turned into model instances.

Public GET pages (booking page and slots, the application form) check their slug or token on
every request, so a disabled, rotated, used or revoked one stops at once; every signed-in
request reads its memberships (tenants.permissions.active_memberships). Through the ORM that
check cost more to build (select_related over four tables, ~2 ms) than to run; these lookups are
written once from the models' metadata and run as plain SQL. Each instance comes back with only
the named fields loaded (the rest are deferred, loaded on first access like `.only()`), and its
related instances attached, so `link.membership.user` or `link.organization` need no query.

Name only fields whose database values need no conversion (ids, text, booleans, and on
PostgreSQL timestamps and UUIDs, which psycopg returns as Django would).
"""
from dataclasses import dataclass

from django.db import connections


@dataclass(frozen=True)
class Part:
    model: type
    alias: str
    fields: tuple[str, ...]  # attnames, e.g. "organization_id"


def column(part: Part, name: str) -> str:
    return f'{part.alias}."{part.model._meta.get_field(name).column}"'


def plain_fields(model) -> tuple[str, ...]:
    """Every column of model whose database value needs no conversion by Django (as above)."""
    return tuple(f.attname for f in model._meta.concrete_fields if not hasattr(f, "from_db_value"))


def loaded(model, **values):
    """An instance as the ORM builds a row it read (from_db): the fields not given stay deferred,
    where the constructor would compute their defaults (a timestamp, a random UUID)."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db("default", names, [values[name] for name in names])


def table(part: Part) -> str:
    return f'"{part.model._meta.db_table}" {part.alias}'


def select_list(parts: tuple[Part, ...]) -> str:
    return ", ".join(column(part, name) for part in parts for name in part.fields)


def fetch_all(sql: str, params: list, parts: tuple[Part, ...], using: str = "default") -> list[list]:
    """fetch() for every row: one list per row, of the parts' instances then any further columns."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [_instances(row, parts, using) for row in rows]


def fetch(sql: str, params: list, parts: tuple[Part, ...], using: str = "default") -> list | None:
    """The instances of the first row (one per part, in order), then any columns selected after
    the parts' fields as they came; None when there is no row."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _instances(row, parts, using)


def _instances(row, parts: tuple[Part, ...], using: str) -> list:
    instances, index = [], 0
    for part in parts:
        values = row[index:index + len(part.fields)]
        index += len(part.fields)
        instances.append(part.model.from_db(using, list(part.fields), list(values)))
    return instances + list(row[index:])
