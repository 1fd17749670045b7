"""Device fixtures: clients on the sandbox over real HTTP, and the demo inventory in the DB."""

import os

import pytest
from django.core.management import call_command
from django.db import connection

from devices.clients import ImpiloClient, ValidicClient
from portal.http import VendorClient
from portal.models import Site
from portal.sandbox import world as demo


def in_transaction() -> bool:
    """True inside a transaction the code opened (not the one pytest-django wraps a
    non-transactional test in, which Django marks `_from_testcase`)."""
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


@pytest.fixture(autouse=True)
def no_vendor_call_in_transaction(monkeypatch):
    """Every devices test fails if a vendor request leaves while this thread holds a
    transaction (and so possibly a row lock): claim, call, then record."""
    send = VendorClient.request

    def request(self, method, path, **kwargs):
        assert not in_transaction(), f"{self.vendor} {method} {path} inside a transaction"
        return send(self, method, path, **kwargs)

    monkeypatch.setattr(VendorClient, "request", request)


def load_demo_data(sandbox_url):
    """The demo organization loaded through the vendor pulls from the sandbox at `sandbox_url`."""
    base_url = sandbox_url.removesuffix("/sandbox")
    call_command("load_demo_data", base_url=base_url, stdout=open(os.devnull, "w"))  # noqa: SIM115


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


# --- the inventory the sandbox knows, mirrored for `org` ------------------------------------
SHELF = {d.identifier: d for d in demo.demo_devices() if d.status == "availableAtSite"}
PATIENTS = demo.demo_patients()


@pytest.fixture
def harriet(org):
    """A patient of `org` registered with Impilo (demo patient 2's Impilo id)."""
    from tests.factories import PatientFactory

    p = PATIENTS[2]
    return PatientFactory(
        organization=org,
        first_name="Harriet",
        last_name="Quimby",
        mrn=p.mrn,
        impilo_patient_id=p.impilo_patient_id,
        validic_user_id=p.validic_user_id,
    )


def shelf_device(org, demo_sites, identifier):
    from tests.factories import DeviceFactory, ItemFactory

    d = SHELF[identifier]
    _, name, kind = next(item for item in demo.ITEMS if item[0] == d.item_id)
    return DeviceFactory(
        organization=org,
        item=ItemFactory(impilo_item_id=d.item_id, name=name, kind=kind),
        impilo_device_id=d.impilo_device_id,
        identifier=d.identifier,
        site=demo_sites[d.site_id],
    )


@pytest.fixture
def cuff(org, demo_sites, vendor_accounts):
    """BT105-S700: a BP cuff on the shelf at the Denver clinic, available to assign."""
    return shelf_device(org, demo_sites, "BT105-S700")


@pytest.fixture
def spare_cuff(org, demo_sites, vendor_accounts):
    """BT105-S702: another cuff on the shelf (main clinic), used as a replacement."""
    return shelf_device(org, demo_sites, "BT105-S702")


@pytest.fixture
def spare_scale(org, demo_sites, vendor_accounts):
    """BT005-S701: a weight scale on the shelf (main clinic) — not a cuff."""
    return shelf_device(org, demo_sites, "BT005-S701")


@pytest.fixture
def boxed_cuff(org, demo_sites, vendor_accounts):
    """A cuff still in the Impilo warehouse (site 900, "available"), mirrored for `org`."""
    from tests.factories import DeviceFactory, ItemFactory

    d = next(d for d in demo.demo_devices() if d.status == "available")
    _, name, kind = next(item for item in demo.ITEMS if item[0] == d.item_id)
    return DeviceFactory(
        organization=org,
        item=ItemFactory(impilo_item_id=d.item_id, name=name, kind=kind),
        impilo_device_id=d.impilo_device_id,
        identifier=d.identifier,
        site=demo_sites[900],
        current_status="available",
    )
