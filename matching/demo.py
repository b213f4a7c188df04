"""Demo data for queues and matching (called from tenants.demo_seed; idempotent)."""
import datetime

from django.urls import reverse
from django.utils import timezone

from matching import services
from matching.models import IntendedParent, Match, MatchEvent
from surrogates import services as surrogate_services
from surrogates.models import Queue, Surrogate
from tenants.models import Role

PARENTS = [
    ("Daniel & Priya Shah", "TX", "165000"),
    ("Morgan Lee", "CA", "190000"),
    ("Alex & Sam Rivera", "NY", "150000"),
    ("Hiroshi & Emi Tanaka", "WA", "210000"),
]
EVENTS = [
    (MatchEvent.Kind.LEGAL, "Contract signing", 5, 10),
    (MatchEvent.Kind.MEDICATION, "Start estrogen protocol", 12, 8),
    (MatchEvent.Kind.EXAM, "Mock cycle ultrasound", 19, 14),
]


def seed_matching(*, organization, members) -> None:
    admin, case = members[Role.ADMIN], members[Role.CASE_MANAGER]
    if not Queue.objects.filter(name="Screening").exists():
        surrogate_services.queue_create(membership=admin, name="Screening", users=[case.user])
    if IntendedParent.objects.exists():
        return
    # Half the Surrogate Pool goes to the case manager, as a team would have claimed it.
    for surrogate in Surrogate.objects.filter(owner_queue__system_key=Queue.SURROGATE_POOL).order_by("number")[::2]:
        surrogate_services.surrogate_claim(membership=case, surrogate=surrogate)
    parents = [
        services.intended_parent_create(
            membership=admin,
            full_name=name,
            email=f"{name.split()[0].lower()}.{index}@parents.example.com",
            phone=f"+1555020{index:04d}",
            state=state,
            budget=budget,
            internal_notes="Prefers a surrogate within driving distance.",
        )
        for index, (name, state, budget) in enumerate(PARENTS)
    ]
    for parent in parents[:3]:
        services.intended_parent_change_status(membership=admin, parent=parent, to_status="ready_to_match")
    ready = list(Surrogate.objects.filter(stage__key="ready_to_match", archived_at__isnull=True).order_by("number")[:2])
    if len(ready) < 2:
        return
    accepted = services.match_propose(membership=case, surrogate=ready[0], parent=parents[0], note="Same state, similar values.")
    services.match_accept(membership=admin, match=accepted)
    services.match_propose(membership=admin, surrogate=ready[1], parent=parents[1], note="Budget fits; first call went well.")
    today = timezone.localdate(timezone.now(), organization.tzinfo)
    for kind, title, days, hour in EVENTS:
        services.event_create(
            membership=case,
            match=accepted,
            kind=kind,
            title=title,
            date=today + datetime.timedelta(days=days),
            time=datetime.time(hour, 0),
            time_zone=organization.timezone,
        )


def matching_manifest(*, base_url: str) -> dict:
    return {
        "intended_parents": [
            {"id": str(pid), "number": f"I{number}", "url": base_url + reverse("matching:parent-detail", args=[pid])}
            for pid, number in IntendedParent.objects.order_by("number").values_list("public_id", "number")
        ],
        "matches": [
            {"id": str(mid), "status": status, "url": base_url + reverse("matching:match-detail", args=[mid])}
            for mid, status in Match.objects.order_by("proposed_at", "id").values_list("public_id", "status")
        ],
        "queues": list(Queue.objects.order_by("name").values_list("name", flat=True)),
    }
