import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION auditlog_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'auditlog_auditentry is append-only (% refused)', TG_OP;
END
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS auditlog_append_only ON auditlog_auditentry;
CREATE TRIGGER auditlog_append_only BEFORE UPDATE OR DELETE ON auditlog_auditentry
    FOR EACH ROW EXECUTE FUNCTION auditlog_refuse_change();
"""
DROP_SQL = """
DROP TRIGGER IF EXISTS auditlog_append_only ON auditlog_auditentry;
DROP FUNCTION IF EXISTS auditlog_refuse_change();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)  # plpgsql uses % itself: no interpolation

    return run


class Migration(migrations.Migration):
    initial = True
    dependencies = [("tenants", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="AuditEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("seq", models.PositiveBigIntegerField(editable=False)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("actor_id", models.BigIntegerField(blank=True, editable=False, null=True)),
                ("action", models.CharField(editable=False, max_length=64)),
                ("target_type", models.CharField(blank=True, editable=False, max_length=64)),
                ("target_id", models.CharField(blank=True, editable=False, max_length=64)),
                ("data", models.JSONField(blank=True, default=dict, editable=False)),
                ("ip", models.CharField(blank=True, editable=False, max_length=64)),
                ("prev_hash", models.CharField(editable=False, max_length=64)),
                ("entry_hash", models.CharField(editable=False, max_length=64)),
                (
                    "organization",
                    models.ForeignKey(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="tenants.organization",
                    ),
                ),
            ],
            options={"ordering": ["-seq"]},
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["organization", "action", "-seq"], name="audit_org_action_seq"),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(fields=["organization", "created_at"], name="audit_org_created"),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(fields=("organization", "id"), name="auditlog_auditentry_org_id_key"),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(fields=("organization", "seq"), name="audit_entry_seq_once_per_org"),
        ),
        migrations.RunPython(_on_postgres(APPEND_ONLY_SQL), _on_postgres(DROP_SQL)),
    ]
