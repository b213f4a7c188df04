"""Every URL that takes an object id answers 404 to another organization's object.

The sweep walks the whole URL resolver, so views added later are covered without anyone
remembering to add a test. For each pattern with an object kwarg it requests, as an org A
admin, every public id (and pk) of every org B object, with GET and with POST, and checks that
org B's rows did not change. /admin/ is covered by tests/tenants/test_admin_scoping.py.
"""
import itertools
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

from surrogates import services
from surrogates.models import Stage
from tenants.models import Organization, Role, TenantModel
from tenants.scope import org_scope
from tests.booking.helpers import populate_for_sweep as populate_booking
from tests.conftest import login
from tests.forms_public import sweep as forms_sweep
from tests.messaging import sweep as messaging_sweep
from tests.matching import sweep as matching_sweep

pytestmark = pytest.mark.postgres

SKIP_PREFIXES = ("admin/",)
# kwargs that never name an object
NON_OBJECT_KWARGS = {"page", "format", "year", "month", "day", "slug_lang", "lang"}
OBJECT_CONVERTERS = (UUIDConverter, IntConverter, SlugConverter, StringConverter, PathConverter)


@dataclass
class Route:
    route: str  # e.g. "surrogates/<uuid:public_id>/tasks/<uuid:task_id>/toggle/"
    name: str
    object_kwargs: dict  # kwarg -> converter

    def build(self, values: dict) -> str:
        def sub(match):
            return str(values[match.group(2)])

        return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, self.route)


def _walk(patterns, prefix="", converters=None, namespace=""):
    converters = converters or {}
    for entry in patterns:
        pattern = entry.pattern
        piece = str(pattern)
        here = {**converters, **getattr(pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + piece, here, ns)
        elif isinstance(entry, URLPattern):
            yield prefix + piece, f"{namespace}{entry.name or ''}", here, entry


def object_routes():
    routes, unsupported = [], []
    for route, name, converters, entry in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or route.startswith("^admin"):
            continue
        if route.startswith("^") or "(?P<" in route:
            # Regex routes: build them by name through reverse() would need examples; flag them.
            if re.search(r"\(\?P<", route):
                unsupported.append(route)
            continue
        object_kwargs = {
            kwarg: converter
            for kwarg, converter in converters.items()
            if kwarg not in NON_OBJECT_KWARGS and isinstance(converter, OBJECT_CONVERTERS)
        }
        if object_kwargs:
            routes.append(Route(route=route, name=name, object_kwargs=object_kwargs))
    return routes, unsupported


def _tenant_models():
    return [
        model
        for model in apps.get_models()
        if issubclass(model, TenantModel) and model._meta.concrete_model is model
    ]


def _ids(objects, converter):
    """The values an attacker would put in this kwarg for these objects."""
    values = []
    for obj in objects:
        if isinstance(converter, IntConverter):
            values.append(obj.pk)
        elif isinstance(converter, UUIDConverter):
            if hasattr(obj, "public_id"):
                values.append(obj.public_id)
        else:
            if hasattr(obj, "public_id"):
                values.append(str(obj.public_id))
            values.append(str(obj.pk))
    return values


def _populate(world, org):
    """One of everything in this org: surrogate, note, task, a pending request, an approved one."""
    with org_scope(org):
        admin = world.member(org, Role.ADMIN)
        intake = world.member(org, Role.INTAKE_SPECIALIST)
        stages = {stage.key: stage for stage in Stage.objects.all()}
        surrogate = services.surrogate_create(
            membership=admin, full_name=f"Sweep {org.slug}", email=f"sweep@{org.slug}.test", phone="+15550100000"
        )
        services.note_add(membership=admin, surrogate=surrogate, body="<p>note</p>")
        services.task_create(membership=admin, surrogate=surrogate, title="task")
        for key in ("contacted", "qualified", "interview_scheduled"):
            services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=stages[key])
        services.surrogate_change_status(
            membership=intake, surrogate=surrogate, to_stage=stages["contacted"], reason="sweep"
        )
        archived = services.surrogate_create(membership=admin, full_name=f"Archived {org.slug}")
        services.surrogate_archive(membership=admin, surrogate=archived)
        forms_sweep.populate(org, admin, surrogate)
    populate_booking(world, org)  # booking link, types, hours, an override, pending + confirmed appointments
    messaging_sweep.populate(world, org)  # email template, campaign, a queued message, a suppression
    matching_sweep.populate(world, org)  # queue, intended parents, matches, approvals, an event, an import
    with org_scope(org):
        return [
            obj
            for model in _tenant_models()
            if any(f.name == "public_id" for f in model._meta.get_fields())
            for obj in model.objects.all()
        ]


def _snapshot(org):
    with org_scope(org):
        tables = {model._meta.label: sorted(map(repr, model.objects.values()), key=str) for model in _tenant_models()}
    tables["organization"] = list(Organization.objects.filter(pk=org.pk).values())
    return tables


@pytest.fixture
def sweep(client, world):
    a_objects = _populate(world, world.org_a)
    b_objects = _populate(world, world.org_b)
    login(client, world.member(world.org_a, Role.ADMIN))
    return client, a_objects, b_objects


def test_walker_finds_the_object_urls():
    routes, unsupported = object_routes()
    names = {route.name for route in routes}
    assert "surrogates:detail" in names
    assert unsupported == [], f"regex URL patterns the sweep cannot build: {unsupported}"
    assert not any(route.route.startswith("admin/") for route in routes)


def _combinations(route, a_objects, b_objects):
    kwargs = list(route.object_kwargs)
    for target in kwargs:
        for b_value in _ids(b_objects, route.object_kwargs[target]):
            others = [k for k in kwargs if k != target]
            if not others:
                yield {target: b_value}
                continue
            # Other kwargs: the same B value, and every A object's value (a real parent of ours).
            pools = [[b_value, *_ids(a_objects, route.object_kwargs[k])] for k in others]
            for picked in itertools.product(*pools):
                yield {target: b_value, **dict(zip(others, picked))}


def test_other_orgs_objects_give_404_on_every_object_url(sweep, world):
    client, a_objects, b_objects = sweep
    assert {type(o).__name__ for o in b_objects} >= {
        "Surrogate", "Note", "Task", "StatusChangeRequest", "Form", "ApplicationLink", "Submission", "Upload",
        "Queue", "IntendedParent", "Match", "MatchApproval", "MatchEvent", "ImportJob",
    }
    routes, _ = object_routes()
    assert routes
    with org_scope(world.org_a):
        a_stage = Stage.objects.get(key="qualified")
    # A body every form would accept from our own org: the only thing wrong is the object id.
    plausible = {
        "full_name": "Hijacked Name", "email": "hijack@example.com", "phone": "+15550109999", "source": "manual",
        "priority": "urgent", "to_stage": a_stage.pk, "reason": "sweep", "body": "<p>hijack</p>", "title": "hijack",
        "completed": "on", "note": "sweep", "effective_date": "",
    }
    before = _snapshot(world.org_b)
    failures, tried = [], 0
    for route in routes:
        for values in _combinations(route, a_objects, b_objects):
            url = route.build(values)
            statuses = {}
            for method, body in (("get", {}), ("post", {}), ("post", plausible)):
                response = getattr(client, method)(url, body)
                statuses.setdefault(method, set()).add(response.status_code)
                tried += 1
            seen = set().union(*statuses.values())
            ok = seen <= {404, 405} and 404 in seen
            if not ok:
                failures.append(f"{route.name} {url} -> {statuses}")
        after = _snapshot(world.org_b)
        assert after == before, f"{route.name} changed org B's rows"
    assert not failures, "\n".join(failures[:50])
    assert tried > 0


def test_own_objects_are_reachable(sweep, world):
    """The sweep is only meaningful if the same URLs do answer for our own objects."""
    client, a_objects, _ = sweep
    surrogate = next(o for o in a_objects if type(o).__name__ == "Surrogate" and o.archived_at is None)
    route = next(r for r in object_routes()[0] if r.name == "surrogates:detail")
    assert client.get(route.build({"public_id": surrogate.public_id})).status_code == 200
