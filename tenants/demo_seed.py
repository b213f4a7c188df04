"""The demo world: two agencies, a user of each role in each, ~25 surrogates each."""
import datetime
import random

from django.db import transaction
from django.urls import reverse

from accounts.mfa import base32_secret, confirmed_device, demo_device
from forms_public import demo as forms_demo
from integrations.meta import demo as meta_demo
from booking.demo import booking_manifest, seed_booking
from matching.demo import matching_manifest, seed_matching
from surrogates.models import Priority, Source, Stage, StatusChangeRequest, Surrogate
from surrogates import services as surrogate_services
from tenants.models import Membership, Organization, Role, User
from tenants.scope import org_scope
from tenants.services import member_add, organization_create

DEMO_PASSWORD = "cradle-demo-pass"
SURROGATES_PER_ORG = 25
DEMO_ORGS = [
    {"slug": "harbor", "name": "Harbor Surrogacy", "timezone": "America/New_York"},
    {"slug": "summit", "name": "Summit Family Building", "timezone": "America/Denver"},
]
ROLE_EMAIL = {Role.INTAKE_SPECIALIST: "intake", Role.CASE_MANAGER: "case", Role.ADMIN: "admin"}
FIRST = ["Avery", "Jordan", "Maya", "Olivia", "Sofia", "Emma", "Isabella", "Chloe", "Grace", "Lily", "Zoe", "Nora", "Hannah"]
LAST = ["Garcia", "Nguyen", "Patel", "Johnson", "Williams", "Brown", "Lopez", "Kim", "Martin", "Clark", "Lewis", "Walker"]
STAGE_CYCLE = [
    "new_unread", "contacted", "qualified", "interview_scheduled", "application_submitted", "under_review",
    "approved", "ready_to_match", "matched", "medical_clearance_passed", "transfer_cycle", "lost",
]
NOTES = ["<p>Called, left a voicemail.</p>", "<p>Prefers email after <strong>5pm</strong>.</p>", "<p>BMI within range.</p>"]


def demo_email(slug: str, role: str) -> str:
    return f"{ROLE_EMAIL[role]}@{slug}.example.com"


def seed_organization(spec: dict) -> Organization:
    organization = Organization.objects.filter(slug=spec["slug"]).first()
    if organization is None:
        organization = organization_create(name=spec["name"], slug=spec["slug"], timezone=spec["timezone"])
    with org_scope(organization), transaction.atomic():
        members = {role: _demo_member(organization, role) for role in Role.values}
        if not Surrogate.objects.exists():
            _seed_surrogates(organization, members)
        seed_booking(organization=organization, membership=members[Role.CASE_MANAGER])
        seed_matching(organization=organization, members=members)  # queues, intended parents, matches, events
        form = forms_demo.seed_form(organization=organization, admin=members[Role.ADMIN])
        forms_demo.seed_link(organization=organization, admin=members[Role.ADMIN], form=form)
        meta_demo.seed_meta(organization=organization)  # a mapped Facebook page with a demo token
    return organization


def _demo_member(organization, role) -> Membership:
    """The demo member for a role, created (with the demo password and an enrolled authenticator)
    only if missing. An existing one is left as people left it: re-seeding must not reactivate
    someone an admin deactivated, nor reset a password (which signs its sessions out)."""
    email = demo_email(organization.slug, role)
    existing = Membership.objects.filter(user__email=email).select_related("user").first()
    if existing is not None:
        return existing
    new_user = not User.objects.filter(email=email).exists()
    membership = member_add(
        organization=organization,
        email=email,
        role=role,
        password=DEMO_PASSWORD if new_user else None,
        full_name=f"{ROLE_EMAIL[role].title()} {organization.name.split()[0]}",
    )
    demo_device(user=membership.user)  # enrolled in MFA unless the account already has an authenticator
    return membership


def _totp_secret(user) -> str | None:
    device = confirmed_device(user)  # read only: the manifest creates nothing
    return base32_secret(device) if device else None


def _seed_surrogates(organization, members) -> None:
    rng = random.Random(organization.slug)
    admin = members[Role.ADMIN]
    stages = {stage.key: stage for stage in Stage.objects.all()}
    for index in range(SURROGATES_PER_ORG):
        target = STAGE_CYCLE[index % len(STAGE_CYCLE)]
        intake_owned = stages[target].stage_type != "post_approval" and index % 2 == 0
        owner = members[Role.INTAKE_SPECIALIST if intake_owned else Role.CASE_MANAGER].user
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        surrogate = surrogate_services.surrogate_create(
            membership=admin,
            full_name=name,
            email=f"{name.lower().replace(' ', '.')}.{index}@mail.example.com",
            phone=f"+1555{rng.randint(1000000, 9999999)}",
            date_of_birth=datetime.date(1988 + index % 10, 1 + index % 12, 1 + index % 27),
            source=rng.choice([Source.MANUAL, Source.WEBSITE, Source.META, Source.REFERRAL]),
            priority=rng.choice(Priority.values),
            owner=owner,
        )
        path = STAGE_CYCLE[1 : STAGE_CYCLE.index(target) + 1] if target != "lost" else ["contacted", "lost"]
        for key in path:
            surrogate_services.surrogate_change_status(membership=admin, surrogate=surrogate, to_stage=stages[key])
        surrogate_services.note_add(membership=admin, surrogate=surrogate, body=NOTES[index % len(NOTES)])
        if index % 3 == 0:
            surrogate_services.task_create(
                membership=admin,
                surrogate=surrogate,
                title="Follow up call",
                due_date=datetime.date.today() + datetime.timedelta(days=index % 7),
            )
    # One pending regression for an admin to decide: the intake specialist asks to move back.
    intake = members[Role.INTAKE_SPECIALIST]
    candidate = Surrogate.objects.filter(stage=stages["qualified"], owner=intake.user).first()
    surrogate_services.surrogate_change_status(
        membership=intake,
        surrogate=candidate,
        to_stage=stages["contacted"],
        reason="Marked qualified by mistake; the screening call has not happened yet.",
    )


def build_manifest(*, base_url: str) -> dict:
    orgs = []
    for spec in DEMO_ORGS:
        organization = Organization.objects.get(slug=spec["slug"])
        with org_scope(organization):
            users = [
                {
                    "email": m.user.email,
                    "password": DEMO_PASSWORD,
                    "role": m.role,
                    "totp_secret": _totp_secret(m.user),  # base32, as authenticator apps take it
                }
                for m in Membership.objects.select_related("user").order_by("role")
                if m.user.email == demo_email(organization.slug, m.role)
            ]
            surrogates = [
                {
                    "id": str(public_id),
                    "url": base_url + reverse("surrogates:detail", args=[public_id]),
                    "number": f"S{number}",
                }
                for public_id, number in Surrogate.objects.order_by("number").values_list("public_id", "number")
            ]
            pending = [str(pk) for pk in StatusChangeRequest.objects.filter(state="pending").values_list("public_id", flat=True)]
            booking = booking_manifest(organization=organization, base_url=base_url)
            apply = forms_demo.apply_urls(organization=organization, base_url=base_url)
            matching = matching_manifest(base_url=base_url)
            meta = meta_demo.meta_manifest()
        orgs.append(
            {
                "slug": organization.slug,
                "name": organization.name,
                "timezone": organization.timezone,
                "users": users,
                "surrogates": surrogates,
                "pending_status_requests": pending,
                "booking_urls": booking["booking_urls"],
                "appointment_type_ids": booking["appointment_type_ids"],
                "apply_urls": apply,
                "dashboard_url": base_url + reverse("home"),
                **matching,  # intended_parents, matches, queues
                **meta,  # meta_page_ids
            }
        )
    return {"orgs": orgs}
