"""The demo organization's vendor accounts: every vendor at the sandbox under `base_url`, with
the sandbox's credentials (tests wire their organizations the same way)."""

from portal.models import Vendor, VendorAccount
from portal.sandbox import world


def sandbox_accounts(base_url: str) -> dict:
    base = base_url.rstrip("/") + "/sandbox"
    return {
        Vendor.IMPILO: (f"{base}/impilo/", {"token": world.IMPILO_TOKEN}),
        Vendor.VALIDIC: (
            f"{base}/validic/",
            {"token": world.VALIDIC_TOKEN, "organization_id": world.VALIDIC_ORG_ID},
        ),
        Vendor.PATIENT_GRAPH: (f"{base}/patient-graph/", {"token": world.PATIENT_GRAPH_TOKEN}),
        Vendor.SOLO: (
            f"{base}/solo/",
            {"api_key": world.SOLO_API_KEY, "teams_auth_token": world.SOLO_TEAMS_TOKEN},
        ),
    }


def configure_sandbox_accounts(organization, base_url: str) -> None:
    for vendor, (url, secrets) in sandbox_accounts(base_url).items():
        VendorAccount.objects.update_or_create(
            organization=organization,
            vendor=vendor,
            defaults={"base_url": url, "secrets": secrets, "is_enabled": True},
        )


def solo_linking_secret_set(organization) -> None:
    """The brand's context-aware-linking secret, which an admin copies from Solo's settings."""
    account = VendorAccount.objects.filter(organization=organization, vendor=Vendor.SOLO).first()
    if account is not None and account.secrets.get("linking_secret") != world.SOLO_LINKING_SECRET:
        account.secrets = {**account.secrets, "linking_secret": world.SOLO_LINKING_SECRET}
        account.save(update_fields=["secrets"])
