"""PostgreSQL refuses a row that references another organization's row.

For every foreign key from one tenant model to another we add a composite foreign key
(organization_id, <fk>_id) -> (organization_id, id). It is derived from the models after every
migrate, so models added later are covered without anyone remembering to.
"""
from django.apps import apps
from django.db import connections


def tenant_foreign_keys():
    from tenants.models import TenantModel

    for model in apps.get_models():
        if not issubclass(model, TenantModel):
            continue
        for field in model._meta.concrete_fields:
            if not (field.many_to_one and field.related_model is not None):
                continue
            target = field.related_model
            if target is model._meta.get_field("organization").related_model:
                continue
            if isinstance(target, type) and issubclass(target, TenantModel):
                yield model, field, target


def constraint_name(model, field) -> str:
    return f"{model._meta.db_table}_{field.column}_same_org"[:63]


def ensure_same_org_constraints(using="default", **kwargs) -> list[str]:
    conn = connections[using]
    if conn.vendor != "postgresql":
        return []
    added = []
    with conn.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE contype = 'f'")
        existing = {row[0] for row in cursor.fetchall()}
        for model, field, target in tenant_foreign_keys():
            name = constraint_name(model, field)
            if name in existing:
                continue
            qn = conn.ops.quote_name
            cursor.execute(
                f"ALTER TABLE {qn(model._meta.db_table)} ADD CONSTRAINT {qn(name)} "
                f"FOREIGN KEY (organization_id, {qn(field.column)}) "
                f"REFERENCES {qn(target._meta.db_table)} (organization_id, id) "
                "ON DELETE NO ACTION DEFERRABLE INITIALLY DEFERRED"
            )
            added.append(name)
    return added

