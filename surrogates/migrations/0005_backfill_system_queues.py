"""Every existing organization gets its system queues; ownerless surrogates go to Unassigned.

Historical models have plain managers (no organization scope), so this runs without one.
"""
from django.db import migrations

SYSTEM_NAMES = {"unassigned": "Unassigned", "surrogate_pool": "Surrogate Pool"}


def forwards(apps, schema_editor):
    Organization = apps.get_model("tenants", "Organization")
    Queue = apps.get_model("surrogates", "Queue")
    Surrogate = apps.get_model("surrogates", "Surrogate")
    for organization in Organization.objects.all():
        queues = {}
        for key, name in SYSTEM_NAMES.items():
            queue = Queue.objects.filter(organization=organization, system_key=key).first()
            if queue is None:
                label = name if not Queue.objects.filter(organization=organization, name=name).exists() else f"{name} (system)"
                queue = Queue.objects.create(organization=organization, name=label, system_key=key)
            queues[key] = queue
        Surrogate.objects.filter(organization=organization, owner__isnull=True, owner_queue__isnull=True).update(
            owner_queue=queues["unassigned"]
        )


def backwards(apps, schema_editor):
    Surrogate = apps.get_model("surrogates", "Surrogate")
    Surrogate.objects.update(owner_queue=None)


class Migration(migrations.Migration):
    dependencies = [("surrogates", "0004_queues_and_imports"), ("tenants", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
