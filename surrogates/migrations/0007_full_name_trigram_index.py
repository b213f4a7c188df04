"""A trigram index for the list page's name search (PostgreSQL only; a no-op on SQLite).

The search is `full_name__icontains`, which PostgreSQL runs as UPPER(full_name) LIKE UPPER('%q%'):
a btree cannot serve a leading wildcard, so at 300,000 records per agency it read every row.
A GIN index on UPPER(full_name) with gin_trgm_ops serves exactly that expression. It is kept out
of Meta.indexes because SQLite (dev) has neither the operator class nor the extension.
"""
from django.db import migrations

INDEX = "surrogate_full_name_trgm"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON surrogates_surrogate USING gin (UPPER(full_name) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("surrogates", "0006_state_and_eligibility"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
