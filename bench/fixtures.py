"""Per-run fixtures on the seeded database: staff sessions, a fresh form link, request paths."""
import datetime
import hashlib
import hmac
import json
import secrets

from django.conf import settings
from django.test import Client

NAME_QUERIES = ["marisol", "Garcia", "ella w", "Hamilton", "Nguyen", "sophia p"]


def staff_cookie(user) -> str:
    """A signed-in (and, once MFA exists, verified) session made server-side, as a Cookie header.

    force_login runs the real login path (signals included, e.g. session tracking); the second
    factor is marked passed the way django-otp records it, with a confirmed device of the user's.
    """
    from tenants.models import Membership
    from tenants.scope import unscoped

    client = Client()
    client.force_login(user)
    session = client.session
    with unscoped():
        membership = Membership.objects.filter(user=user, is_active=True).first()
    session["active_org_id"] = membership.organization_id
    if "django_otp" in settings.INSTALLED_APPS:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def verify_pii(manifest: dict) -> None:
    """The seeded rows read back as the app reads them: ciphertexts decrypt, hashes match."""
    from surrogates.models import Surrogate
    from tenants import pii
    from tenants.scope import unscoped

    with unscoped():
        for entry in manifest["orgs"]:
            for surrogate in Surrogate.objects.filter(organization_id=entry["id"]).order_by("?")[:3]:
                assert surrogate.email_hash == pii.email_hash(surrogate.email), surrogate.pk
                assert surrogate.phone_hash == pii.phone_hash(surrogate.phone), surrogate.pk
                assert isinstance(surrogate.date_of_birth, datetime.date), surrogate.pk


def build(manifest: dict) -> dict:
    """Everything the scenarios need, read from (or written to) the bench database."""
    from forms_public import demo as forms_demo
    from forms_public import services as forms_services
    from messaging.models import EmailLog
    from surrogates.models import Stage, Surrogate
    from tenants.models import Membership, User
    from tenants.scope import org_scope, unscoped
    from tracking import tokens

    big = manifest["orgs"][0]
    with unscoped():
        staff = User.objects.get(pk=big["staff_user_ids"][0])
        admin = User.objects.get(pk=big["admin_user_id"])
        admin_membership = Membership.objects.select_related("organization", "user").get(user=admin)
    org = admin_membership.organization
    with org_scope(org):
        stage = Stage.objects.get(key="contacted")
        detail_ids = list(Surrogate.objects.filter(archived_at__isnull=True).order_by("?")
                          .values_list("public_id", flat=True)[:200])
        log_ids = list(EmailLog.objects.order_by("-id").values_list("public_id", flat=True)[:500])
        form = forms_demo.seed_form(organization=org, admin=admin_membership)
        surrogate = Surrogate.objects.filter(archived_at__isnull=True).order_by("-id").first()
        _link, form_token = forms_services.link_issue(membership=admin_membership, surrogate=surrogate, form=form,
                                                      days=1, token=secrets.token_urlsafe(32))
    verify_pii(manifest)
    today = datetime.date.today() + datetime.timedelta(days=1)
    slots_query = lambda b: (f"/book/{b['slug']}/slots/?type={b['type']}&start={today.isoformat()}"  # noqa: E731
                             f"&end={(today + datetime.timedelta(days=29)).isoformat()}&tz=Europe/Paris")
    return {
        "org": org,
        "staff": staff,
        "admin": admin,
        "staff_cookie": staff_cookie(staff),
        "admin_cookie": staff_cookie(admin),
        "list": ["/surrogates/?per_page=50"],
        "list_stage": [f"/surrogates/?per_page=50&stage={stage.key}"],
        "list_search": [f"/surrogates/?per_page=50&q={q.replace(' ', '+')}" for q in NAME_QUERIES],
        "detail": [f"/surrogates/{public_id}/" for public_id in detail_ids],
        "admin_changelist": ["/admin/surrogates/surrogate/"],
        "booking_page": [f"/book/{b['slug']}/" for b in big["booking"]],
        "slots": [slots_query(b) for b in big["booking"]],
        "booking": big["booking"],
        "form": [f"/apply/{form_token}/"],
        "pixel": [f"/tracking/open/{tokens.make('open', public_id)}/" for public_id in log_ids],
    }


META_PAGE_ID = "900000000000001"


def meta_webhook(org, count: int = 3000) -> list[tuple[str, bytes]] | None:
    """Signed Meta leadgen deliveries for a page mapped to the big org, each a new lead id.

    None when integrations.meta has not landed in this tree. Ids start from the clock, so a
    later run never replays an earlier run's leads (a replay is the cheaper, deduplicated path).
    """
    try:
        from integrations.meta.models import MetaPage
        from integrations.meta.signature import SIGNATURE_HEADER  # noqa: F401
    except ImportError:
        return None
    import time

    from tenants.scope import org_scope

    with org_scope(org):
        MetaPage.objects.get_or_create(page_id=META_PAGE_ID, defaults={"name": "Bench page", "organization": org})
    secret = settings.META_APP_SECRET.encode()
    first = int(time.time()) * 10_000
    out = []
    for n in range(count):
        body = json.dumps({"object": "page", "entry": [{"id": META_PAGE_ID, "time": 1764770000, "changes": [
            {"field": "leadgen", "value": {"leadgen_id": str(first + n), "page_id": META_PAGE_ID,
                                           "form_id": "555000111", "created_time": 1764770000}}]}]}).encode()
        out.append(("sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(), body))
    return out
