"""Every URL that takes an object id answers 404 to another organization's object.

The sweep walks the whole URL resolver, so views added later are covered without anyone
remembering to add a test. For each pattern with an object kwarg it first learns, with org A's
own objects, which model types the kwarg accepts; then, as an org A admin, it requests every
public id (and pk) of every org B object of those types, plus a few of other types as a guard,
with GET and with POST, and checks that org B's rows did not change. A kwarg no org A object
gets into is swept with every org B object (EXHAUSTIVE_ROUTES). /admin/ is covered by
tests/tenants/test_admin_scoping.py.
"""
import itertools
import re
import uuid
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter

from surrogates import services
from surrogates.models import Stage
from tenants.models import Organization, Role, TenantModel
from tenants.scope import org_scope
from tests.booking.helpers import populate_for_sweep as populate_booking
from tests.accounts import sweep as accounts_sweep
from tests.conftest import login
from tests.forms_public import sweep as forms_sweep
from tests.messaging import sweep as messaging_sweep
from tests.matching import sweep as matching_sweep
from tests.tenants import sweep as team_sweep
from tests.zoom import sweep as zoom_sweep

pytestmark = pytest.mark.postgres

SKIP_PREFIXES = ("admin/",)
# kwargs that never name an object (backend: a sign-in provider's name)
NON_OBJECT_KWARGS = {"page", "format", "year", "month", "day", "slug_lang", "lang", "backend"}
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
    people = accounts_sweep.populate(world, org)  # a signed-in session per member (a person's, not the org's)
    team_sweep.populate(world, org)  # a pending invitation and a deactivated member
    zoom_sweep.populate(world, org)  # a Zoom meeting for an appointment and one for a surrogate (never sent)
    with org_scope(org):
        return people + [
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


# Routes where no org A object is accepted in some object kwarg, so the sweep cannot learn which
# types the URL takes and tries every org B id there instead (slow). A new URL whose app has no
# populate hook fails test_other_orgs_objects_give_404_on_every_object_url until it gets one or
# is listed here with the reason.
EXHAUSTIVE_ROUTES = {
    # Public pages keyed by a secret token or a link slug, never by an object id.
    "apply:form": "an application link's secret token",
    "invitation-accept": "an invitation's secret token",
    "booking_public:manage": "an appointment's self-service token",
    "booking_public:manage-slots": "an appointment's self-service token",
    "booking_public:page": "a booking link's slug",
    "booking_public:slots": "a booking link's slug",
    # Owner-only staff pages: the sweep's admin owns no booking setup (populate_booking makes another member's).
    "booking:type-edit": "only the member's own appointment types",
    "booking:rule-delete": "only the member's own availability rules",
    "booking:override-delete": "only the member's own date overrides",
}
# Besides the accepted types, each (route, kwarg) also gets one org B object of this many other
# types, rotating through the types route by route, as a guard against a view that looks up the
# "wrong" model for another org only.
GUARD_TYPES = 3


def _key(obj):
    return (obj._meta.label, obj.pk)


def _links(objects):
    """(label, pk) -> the objects of the same list it points at by a foreign key or that point at it."""
    index = {_key(obj): obj for obj in objects}
    links = {key: [] for key in index}
    for obj in objects:
        for field in obj._meta.concrete_fields:
            if field.many_to_one or field.one_to_one:
                target = index.get((field.related_model._meta.label, getattr(obj, field.attname)))
                if target is not None and target is not obj:
                    links[_key(obj)].append(target)
                    links[_key(target)].append(obj)
    return links


def _of_types(objects, labels):
    return [obj for obj in objects if obj._meta.label in labels] if labels else objects


def _status(client, method, url, counter):
    """One learning request, in a savepoint that is rolled back: learning never changes org A's
    rows for the routes after it (an approve would otherwise leave nothing pending to reject)."""
    with transaction.atomic():
        status = getattr(client, method)(url, {}).status_code
        transaction.set_rollback(True)
    counter["learn"] += 1
    return status


def _nowhere(converter):
    """A value of the kwarg's shape that names no object."""
    if isinstance(converter, IntConverter):
        return 0
    if isinstance(converter, UUIDConverter):
        return uuid.UUID(int=0)
    return "no-such-object"


def _learn(client, route, a_objects, a_links, counter):
    """kwarg -> labels of the models whose org A objects this URL accepts in that kwarg (anything
    but 404/405 for GET or an empty POST).

    A method that answers 405 for ids naming nothing is refused before any lookup, so it is not
    tried. The other kwargs are filled with the objects linked to the candidate (its surrogate for
    a task, its tasks for a surrogate), so nested URLs learn both of their kwargs.
    """
    nowhere = route.build({kwarg: _nowhere(conv) for kwarg, conv in route.object_kwargs.items()})
    methods = [method for method in ("get", "post") if _status(client, method, nowhere, counter) != 405]
    accepted = {}
    for target, converter in route.object_kwargs.items():
        others = [kwarg for kwarg in route.object_kwargs if kwarg != target]
        labels = set()
        for obj in a_objects:
            if obj._meta.label in labels:
                continue
            pools = [_ids(a_links[_key(obj)], route.object_kwargs[kwarg]) for kwarg in others]
            urls = (
                route.build({target: value, **dict(zip(others, picked))})
                for value in _ids([obj], converter)
                for picked in itertools.product(*pools)
            )
            if any(_status(client, method, url, counter) not in (404, 405) for url in urls for method in methods):
                labels.add(obj._meta.label)
        accepted[target] = labels
    return accepted


def _targets(b_objects, labels, rotation):
    """Org B objects to put in a kwarg: every object of the accepted types plus a few guards,
    or every object at all when nothing was accepted (the old exhaustive sweep)."""
    if not labels:
        return b_objects
    others = sorted({obj._meta.label for obj in b_objects} - labels)
    guards = {others[(rotation + i) % len(others)] for i in range(min(GUARD_TYPES, len(others)))} if others else set()
    first_of = {}
    for obj in b_objects:
        first_of.setdefault(obj._meta.label, obj)
    return _of_types(b_objects, labels) + [first_of[label] for label in sorted(guards)]


def _combinations(route, accepted, rotation, a_objects, b_objects, b_links):
    kwargs = list(route.object_kwargs)
    for target in kwargs:
        others = [k for k in kwargs if k != target]
        for b_obj in _targets(b_objects, accepted[target], rotation):
            for b_value in _ids([b_obj], route.object_kwargs[target]):
                if not others:
                    yield {target: b_value}
                    continue
                # Other kwargs: the same B value, a real parent (or child) of ours, and the B
                # object's own parent (or child): of the accepted types, or any when none was.
                pools = [
                    list(dict.fromkeys([
                        b_value,
                        *_ids(_of_types(a_objects, accepted[k]), route.object_kwargs[k]),
                        *_ids(_of_types(b_links[_key(b_obj)], accepted[k]), route.object_kwargs[k]),
                    ]))
                    for k in others
                ]
                for picked in itertools.product(*pools):
                    yield {target: b_value, **dict(zip(others, picked))}


def test_other_orgs_objects_give_404_on_every_object_url(sweep, world, capsys):
    client, a_objects, b_objects = sweep
    assert {type(o).__name__ for o in b_objects} >= {
        "Surrogate", "Note", "Task", "StatusChangeRequest", "Form", "ApplicationLink", "Submission", "Upload",
        "Queue", "IntendedParent", "Match", "MatchApproval", "MatchEvent", "ImportJob", "ZoomMeeting", "Membership", "Invitation",
    }
    assert {"Membership", "UserSession"} <= {type(o).__name__ for o in b_objects}
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
    a_links, b_links = _links(a_objects), _links(b_objects)
    before = _snapshot(world.org_b)
    failures, exhaustive, counter = [], [], {"learn": 0, "attack": 0}
    for rotation, route in enumerate(routes):
        accepted = _learn(client, route, a_objects, a_links, counter)
        exhaustive += [f"{route.name} ({kwarg})" for kwarg, labels in accepted.items() if not labels]
        for values in _combinations(route, accepted, rotation, a_objects, b_objects, b_links):
            url = route.build(values)
            statuses = {}
            for method, body in (("get", {}), ("post", {}), ("post", plausible)):
                response = getattr(client, method)(url, body)
                statuses.setdefault(method, set()).add(response.status_code)
                counter["attack"] += 1
            seen = set().union(*statuses.values())
            ok = seen <= {404, 405} and 404 in seen
            if not ok:
                failures.append(f"{route.name} {url} -> {statuses}")
        after = _snapshot(world.org_b)
        assert after == before, f"{route.name} changed org B's rows"
    with capsys.disabled():
        print(
            f"\nURL sweep: {len(routes)} routes, {counter['learn']} learning + {counter['attack']} attack requests;"
            f" exhaustive (no org A object accepted): {', '.join(exhaustive) or 'none'}"
        )
    assert not failures, "\n".join(failures[:50])
    assert counter["attack"] > 0
    unlisted = sorted({item.split(" ")[0] for item in exhaustive} - set(EXHAUSTIVE_ROUTES))
    assert not unlisted, (
        f"no org A object is accepted by {unlisted}: add a populate hook for them (see _populate) "
        "or list them in EXHAUSTIVE_ROUTES with the reason"
    )
    stale = sorted({route.name for route in routes} & set(EXHAUSTIVE_ROUTES) - {item.split(" ")[0] for item in exhaustive})
    assert not stale, f"EXHAUSTIVE_ROUTES entries now learn their types: remove {stale}"


def test_own_objects_are_reachable(sweep, world):
    """The sweep is only meaningful if the same URLs do answer for our own objects."""
    client, a_objects, _ = sweep
    surrogate = next(o for o in a_objects if type(o).__name__ == "Surrogate" and o.archived_at is None)
    route = next(r for r in object_routes()[0] if r.name == "surrogates:detail")
    assert client.get(route.build({"public_id": surrogate.public_id})).status_code == 200
