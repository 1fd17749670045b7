"""Device fixtures: clients on the sandbox over real HTTP, and the demo inventory in the DB."""

import pytest

from devices.clients import ImpiloClient, ValidicClient
from portal import demo
from portal.models import Site


@pytest.fixture
def impilo(sandbox_url):
    return ImpiloClient(f"{sandbox_url}/impilo/", secrets={"token": demo.IMPILO_TOKEN}, backoff=0)


@pytest.fixture
def validic(sandbox_url):
    return ValidicClient(
        f"{sandbox_url}/validic/",
        secrets={"token": demo.VALIDIC_TOKEN, "organization_id": demo.VALIDIC_ORG_ID},
        backoff=0,
    )


@pytest.fixture
def demo_sites(org):
    """`org`'s sites with the sandbox's Impilo site ids (the clinics and the warehouse)."""
    return {
        site_id: Site.objects.create(
            organization=org,
            impilo_site_id=site_id,
            name=name,
            is_vendor_site=is_vendor,
            time_zone=zone,
        )
        for site_id, name, is_vendor, zone in demo.SITES
    }
