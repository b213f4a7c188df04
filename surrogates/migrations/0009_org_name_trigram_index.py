"""A trigram index for the list page's name search that holds each agency's names apart.

0007's index is on UPPER(full_name) alone, so a common name matches every agency's records: for
"Garcia" it yields 8,279 candidates in the 1,000,000-row bench, of which 2,451 belong to the
agency searching, and PostgreSQL visits ~7,900 table pages to throw the rest away. The cost of a
search grew with the whole database, not with the agency's own records.

This index is on UPPER(organization_id::text || '|' || full_name). The search pattern starts with
the agency's id ('1|%GARCIA%'), and pg_trgm indexes that id as a word of its own ('|' is not a
word character), so the index hands back that agency's candidates (and only those of other
agencies whose name holds the id as a word, which the recheck drops); bench/README.md, "Fourth
round", has the before/after. surrogates.list_selectors.OrgNameContains writes the same expression.

0007's index stays: Django admin's searches (`full_name`, and `surrogate__full_name` from notes,
tasks and approvals) and a platform superuser's cross-agency search use plain
`full_name__icontains`. Built CONCURRENTLY so a live database keeps taking writes; PostgreSQL
only (SQLite, the dev profile, has no pg_trgm).
"""
from django.db import migrations

INDEX = "surrogate_org_name_trgm"
EXPRESSION = "UPPER(organization_id::text || '|' || full_name)"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # An interrupted concurrent build leaves an INVALID index under the name, which IF NOT EXISTS
    # would take for done: drop it and build again.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s AND NOT i.indisvalid",
            [INDEX],
        )
        if cursor.fetchone():
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON surrogates_surrogate USING gin (({EXPRESSION}) gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("surrogates", "0008_dashboard_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
