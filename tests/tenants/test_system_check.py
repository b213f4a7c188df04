"""tenants.E001: a model holding a foreign key to Organization must be behind the scoped manager."""
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from tenants import checks
from tenants.managers import TenantManager
from tenants.models import Organization, TenantModel


@isolate_apps("tenants")
def test_plain_model_with_org_fk_is_flagged():
    class Leaky(models.Model):
        organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "tenants"

    assert checks.unscoped_tenant_models([Leaky]) == [Leaky]


@isolate_apps("tenants")
def test_tenant_model_with_plain_default_manager_is_flagged():
    class Sneaky(TenantModel):
        objects = models.Manager()  # replaces the scoped manager

        class Meta:
            app_label = "tenants"

    assert checks.unscoped_tenant_models([Sneaky]) == [Sneaky]


@isolate_apps("tenants")
def test_nullable_org_fk_under_another_name_is_flagged():
    class Elsewhere(models.Model):
        agency = models.ForeignKey(Organization, null=True, on_delete=models.SET_NULL, related_name="+")

        class Meta:
            app_label = "tenants"

    assert checks.unscoped_tenant_models([Elsewhere]) == [Elsewhere]


@isolate_apps("tenants")
def test_check_reports_e001_for_an_unscoped_model(monkeypatch):
    class Leaky(models.Model):
        organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "tenants"

    # The registered check walks django.apps.apps; show it the offender alongside the real models.
    real_models = apps.get_models()
    monkeypatch.setattr(checks.apps, "get_models", lambda: [*real_models, Leaky])
    errors = checks.check_tenant_models_are_scoped()
    assert [(e.id, e.obj) for e in errors] == [("tenants.E001", Leaky)]
    assert "tenants.Leaky" in errors[0].msg


@isolate_apps("tenants")
def test_exempt_by_attribute_with_reason_passes():
    class PlatformLog(models.Model):
        organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
        tenant_scope_exempt = "Platform operators' cross-org log; only read in unscoped() ops code."

        class Meta:
            app_label = "tenants"

    assert checks.unscoped_tenant_models([PlatformLog]) == []


@isolate_apps("tenants")
def test_exempt_by_setting_with_reason_passes(monkeypatch):
    class Billing(models.Model):
        organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "tenants"

    assert checks.unscoped_tenant_models([Billing]) == [Billing]
    monkeypatch.setitem(checks.SCOPE_EXEMPT, "tenants.Billing", "Platform billing, read by operators only.")
    assert checks.unscoped_tenant_models([Billing]) == []


@isolate_apps("tenants")
def test_scoped_tenant_model_and_models_without_org_fk_pass():
    class Fine(TenantModel):
        class Meta:
            app_label = "tenants"

    class Unrelated(models.Model):
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "tenants"

    assert isinstance(Fine._default_manager, TenantManager)
    assert checks.unscoped_tenant_models([Fine, Unrelated, Organization]) == []


def test_every_real_model_passes():
    assert checks.unscoped_tenant_models(apps.get_models()) == []
    assert checks.check_tenant_models_are_scoped() == []


@pytest.mark.django_db
def test_manage_py_check_passes():
    call_command("check", fail_level="ERROR")


@isolate_apps("tests")
def test_an_exemption_without_a_reason_does_not_count():
    class Careless(models.Model):
        organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
        tenant_scope_exempt = True

        class Meta:
            app_label = "tests"

    assert Careless in checks.unscoped_tenant_models([Careless])
