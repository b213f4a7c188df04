"""No double booking, enforced by PostgreSQL.

Two active (pending or confirmed) appointments of one staff member may not have overlapping
blocked ranges [blocked_start, blocked_end). btree_gist lets the GiST index compare the
membership id with =. SQLite (dev only) has no such constraint; the service's lock-and-recheck
still applies there.
"""
from django.db import migrations

CONSTRAINT = "booking_appointment_no_overlap"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""
    ALTER TABLE booking_appointment ADD CONSTRAINT {CONSTRAINT}
    EXCLUDE USING gist (
        membership_id WITH =,
        tstzrange(blocked_start, blocked_end, '[)') WITH &&
    ) WHERE (status IN ('pending', 'confirmed'))
    """,
]
BACKWARD = [f"ALTER TABLE booking_appointment DROP CONSTRAINT IF EXISTS {CONSTRAINT}"]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in FORWARD:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("booking", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
