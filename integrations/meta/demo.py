"""Demo data for seed_demo: each demo organization maps one Facebook page (demo token)."""
from integrations.meta.models import MetaPage

DEMO_PAGE_IDS = {"harbor": "100000000000001", "summit": "100000000000002"}


def seed_meta(*, organization) -> None:
    page_id = DEMO_PAGE_IDS.get(organization.slug)
    if page_id is None or MetaPage.objects.filter(page_id=page_id).exists():
        return
    MetaPage.objects.create(
        organization=organization,
        page_id=page_id,
        name=f"{organization.name} (Facebook)",
        access_token=f"demo-page-token-{organization.slug}",
    )


def meta_manifest() -> dict:
    return {"meta_page_ids": list(MetaPage.objects.order_by("page_id").values_list("page_id", flat=True))}
