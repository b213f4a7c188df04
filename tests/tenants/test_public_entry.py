"""Public token/slug resolution enters the owning organization's scope, and only that one."""
import pytest
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path

from surrogates.models import Stage
from tenants.models import Organization
from tenants.public import public_entry
from tenants.scope import ScopeError, current_org

pytestmark = pytest.mark.postgres


def by_slug(request, slug):
    return Organization.objects.filter(slug=slug).first()


@public_entry(by_slug)
def stage_count(request, organization, slug):
    return JsonResponse({"org": current_org().slug, "stages": Stage.objects.count()})


@public_entry(by_slug)
def lazily_rendered(request, organization, slug):
    from django.template import engines

    template = engines["django"].from_string("{{ stages.count }}")
    return TemplateResponse(request, template, {"stages": Stage.objects.all()})


urlpatterns = [
    path("p/<slug:slug>/", stage_count),
    path("lazy/<slug:slug>/", lazily_rendered),
]


@pytest.mark.urls(__name__)
def test_slug_enters_its_own_scope(client, world):
    response = client.get("/p/agency-b/")
    assert response.status_code == 200
    assert response.json() == {"org": "agency-b", "stages": 19}


@pytest.mark.urls(__name__)
def test_unknown_slug_is_404_and_touches_nothing(client, world):
    assert client.get("/p/no-such-agency/").status_code == 404


@pytest.mark.urls(__name__)
def test_template_renders_inside_the_scope(client, world):
    response = client.get("/lazy/agency-a/")
    assert response.status_code == 200
    assert response.content.strip() == b"19"


def test_scope_is_gone_after_the_request(client, world, settings):
    settings.ROOT_URLCONF = __name__
    client.get("/p/agency-a/")
    with pytest.raises(ScopeError):
        Stage.objects.count()
