"""Email objects for the URL sweep (tests/test_url_sweep.py): a template, a campaign, a queued
message with a tracked link, a suppression, in the given organization."""
from django.db import transaction

from messaging import services
from messaging.models import Suppression
from surrogates.models import Surrogate
from tenants.models import Role
from tenants.scope import org_scope


def populate(world, org):
    with org_scope(org):
        admin = world.member(org, Role.ADMIN)
        template = services.template_save(
            membership=admin, name="Sweep", subject="Hi {{ first_name }}", body_html='<p><a href="https://example.org/">x</a></p>'
        )
        services.campaign_create(membership=admin, name="Sweep campaign", template=template, filters={})
        surrogate = Surrogate.objects.filter(archived_at__isnull=True).exclude(email="").first()
        with transaction.atomic():
            services.email_queue(
                organization_id=org.pk, idempotency_key="sweep", to_email=surrogate.email, subject="Sweep",
                body_html=template.body_html, sender=admin, surrogate=surrogate, template=template,
            )
        services.suppression_add(organization_id=org.pk, email=f"gone@{org.slug}.test", reason=Suppression.Reason.MANUAL)
