"""Impilo and Validic clients (thin, typed, no business rules).

Impilo wire conventions are decided in `portal/sandbox/impilo.py` (the seed documents name the
operations, not their paths): base `/v1`, bearer token, camelCase JSON, errors
`{"status", "error", "message"}`.

Impilo device paths. Seed 001 names the operations (device lookup, Associate Device,
DeviceUpdate, replacement) but not their paths; we follow the REST conventions the rest of
Impilo's API uses (plural resource nouns, numeric ids in the path, actions as sub-resources,
camelCase bodies) and `portal/sandbox/impilo_devices.py` answers exactly these:

    GET  /v1/devices/{id}                         device lookup by id
    GET  /v1/devices?identifier=&status=&siteId=&patientId=&itemId=&page=&pageSize=
         → {"devices": [...], "page": n, "pageSize": n, "total": n}   (page is 1-based)
    POST /v1/devices/{id}/associate   {"patientId": n} | {"siteId": n}  → the device
    POST /v1/devices/{id}/disassociate {}                               → the device
    PUT  /v1/devices/{id}              DeviceUpdate {"overrideStatus": s, "note": s|null}
    POST /v1/devices/{id}/replace      {"replacementDeviceId": n, "note": s|null}
         → {"returnedDevice": {...}, "replacementDevice": {...}}

Impilo webhooks (seed 001 names the `order.Status` event type and a "Webhook management
guide" it does not include): our convention, answered by `portal/sandbox/impilo_orders.py`:

    POST   /v1/webhooks       {"url": s, "eventTypes": ["order.Status"]}
           → 201 {"id", "url", "eventTypes", "active", "secret"}   (the secret only here)
    DELETE /v1/webhooks/{id}  → 204
The deliveries' shape and signature are decided in `devices/webhooks.py`.

A device is `{"id", "identifier", "customerId", "currentStatus", "item": {"id", "name",
"type"}, "siteId", "patientId", "note", "updatedAt"}`. The four association preconditions of
seed 001 are refused with 409 and a message naming the rule.

Validic (seed 004). Provisioning is on the Inform API, Smart Meter connections on the Direct
Connection API (`syncmydevice.com` in production; the account's `direct_base_url` secret, else
the account's base URL — the sandbox serves both under /sandbox/validic/):

    POST /organizations/{organization_id}/users?token=   (form-encoded `uid`)  → 201 user
    GET  /organizations/{organization_id}/users/{uid}?token=                  → user
    POST /direct/auth/smart_meter?token=<user marketplace token>
         {"device_id": IMEI, "device_type": t}                  → 202 connection
    POST /direct/auth/smart_meter/disconnect/{IMEI}?token=      → 202 connection + deleted_*
    POST /direct/auth/smart_meter/disconnect_all?token=         → 202 {"meta", "connections"}
    GET  /direct/auth/smart_meter?token=                        → {"meta", "connections"}
         (the listing is not in seed 004; the sync needs it and the sandbox serves it in the
         disconnect_all shape without the deleted_* fields)

The Direct Connection API authenticates with the user's marketplace token, which the Inform
user object carries (`marketplace.token`); the client reads it per call and never stores it.
"""

from __future__ import annotations

from collections.abc import Iterator

from portal.http import VendorClient, VendorError
from portal.models import Vendor

__all__ = ["ImpiloClient", "ValidicClient", "VendorError"]

DEVICE_PAGE_SIZE = 100


class ImpiloClient(VendorClient):
    """Secrets: `token` (bearer)."""

    vendor = Vendor.IMPILO
    vendor_label = "Impilo"

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.secrets.get('token', '')}"}

    def get_patient(self, patient_id: int) -> dict:
        """Patient lookup (seed 001, Device Association Workflow step 2)."""
        return self.json("GET", f"v1/patients/{int(patient_id)}")

    def find_patients(self, *, external_id: str) -> list[dict]:
        """Patient lookup by the customer's own id for them, our MRN (seed 001, Device
        Association Workflow step 2; the query is our convention: `GET /v1/patients?externalId=`
        → `{"patients": [...]}`, answered by portal/sandbox/impilo.py)."""
        body = self.json("GET", "v1/patients", params={"externalId": external_id})
        found = body.get("patients") if isinstance(body, dict) else None
        return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []

    def get_site(self, site_id: int) -> dict:
        """Site lookup (seed 001, Device Association Workflow step 2)."""
        return self.json("GET", f"v1/sites/{int(site_id)}")

    # --- devices (seed 001) ----------------------------------------------------------------
    def get_device(self, device_id: int) -> dict:
        """Device lookup by id (seed 001, Device Status Update Workflow: 'Fetch a Device')."""
        return self.json("GET", f"v1/devices/{int(device_id)}")

    def list_devices(
        self,
        *,
        identifier: str | None = None,
        status: str | None = None,
        site_id: int | None = None,
        patient_id: int | None = None,
        page: int = 1,
        page_size: int = DEVICE_PAGE_SIZE,
    ) -> dict:
        """Device lookup with filters, one page (seed 001, Association Workflow step 1)."""
        params = {
            "identifier": identifier,
            "status": status,
            "siteId": site_id,
            "patientId": patient_id,
            "page": page,
            "pageSize": page_size,
        }
        return self.json(
            "GET", "v1/devices", params={k: v for k, v in params.items() if v is not None}
        )

    def find_device_by_identifier(self, identifier: str) -> dict | None:
        """Device lookup by serial number / IMEI (seed 001: 'find specific devices')."""
        found = self.list_devices(identifier=identifier, page_size=1)["devices"]
        return found[0] if found else None

    def iter_devices(self, **filters) -> Iterator[tuple[dict, int]]:
        """Every device of the customer, page by page: yields (device, total)."""
        page = 1
        while True:
            body = self.list_devices(page=page, **filters)
            for device in body["devices"]:
                yield device, body["total"]
            if page * body["pageSize"] >= body["total"] or not body["devices"]:
                return
            page += 1

    def associate_device(
        self, device_id: int, *, patient_id: int | None = None, site_id: int | None = None
    ) -> dict:
        """Associate Device with a patient or a site (seed 001, Manual Device Assignment)."""
        if (patient_id is None) == (site_id is None):
            raise ValueError("associate a device with exactly one of patient_id or site_id")
        body = {"patientId": patient_id} if patient_id is not None else {"siteId": site_id}
        return self.json("POST", f"v1/devices/{int(device_id)}/associate", json=body)

    def disassociate_device(self, device_id: int) -> dict:
        """Disassociate a device from its patient (seed 001: 'always possible')."""
        return self.json("POST", f"v1/devices/{int(device_id)}/disassociate", json={})

    def update_device(self, device_id: int, *, override_status: str, note: str | None) -> dict:
        """DeviceUpdate: override status and optional note (seed 001, Updating Device
        Details). PUT of the same body twice has the same effect, so it may be retried."""
        return self.json(
            "PUT",
            f"v1/devices/{int(device_id)}",
            json={"overrideStatus": override_status, "note": note},
        )

    def replace_device(
        self, device_id: int, *, replacement_device_id: int, note: str | None = None
    ) -> dict:
        """Device Replacement (seed 001): the defective device goes back to an Impilo warehouse
        and the replacement is associated with the same patient."""
        return self.json(
            "POST",
            f"v1/devices/{int(device_id)}/replace",
            json={"replacementDeviceId": int(replacement_device_id), "note": note},
        )

    # --- webhooks (our convention; see the module docstring) -------------------------------
    def webhook_add(self, *, url: str, event_types: list[str]) -> dict:
        """Register a webhook; the answer carries the signing `secret` (once)."""
        return self.json("POST", "v1/webhooks", json={"url": url, "eventTypes": event_types})

    def webhook_delete(self, webhook_id: str) -> None:
        self.request("DELETE", f"v1/webhooks/{webhook_id}")


class ValidicClient(VendorClient):
    """Secrets: `token` (Inform organization token), `organization_id`, optional
    `direct_base_url` (the Direct Connection API host; defaults to the base URL)."""

    vendor = Vendor.VALIDIC
    vendor_label = "Validic"

    @property
    def organization_id(self) -> str:
        return self.secrets.get("organization_id", "")

    def auth_params(self):
        return {"token": self.secrets.get("token", "")}

    def _direct(self, method: str, path: str, *, user_token: str, **kwargs):
        """A Direct Connection API call: its own host, the user's token instead of ours."""
        direct = ValidicDirectClient(
            self.secrets.get("direct_base_url") or self.base_url,
            secrets={"token": user_token},
            session=self.session,
            timeout=self.timeout,
            retries=self.retries,
            backoff=self.backoff,
        )
        return direct.json(method, path, **kwargs)

    # --- Inform API ------------------------------------------------------------------------
    def provision_user(self, uid: str) -> dict:
        """Provision User in Validic Inform (seed 004): form-encoded `uid`; 201 with the user."""
        return self.json("POST", f"organizations/{self.organization_id}/users", data={"uid": uid})

    def get_user(self, uid: str) -> dict:
        """The Inform user, including `marketplace.token` for the Direct Connection API."""
        return self.json("GET", f"organizations/{self.organization_id}/users/{uid}")

    def user_token(self, uid: str) -> str:
        token = (self.get_user(uid).get("marketplace") or {}).get("token")
        if not token:
            raise VendorError(self.vendor_label, "the user has no marketplace token")
        return token

    # --- Direct Connection API (Smart Meter) -----------------------------------------------
    def connect_smart_meter(self, uid: str, *, imei: str, device_type: str) -> dict:
        """Establish User Device Connection (seed 004): 202 with `credentials.device_id`."""
        return self._direct(
            "POST",
            "direct/auth/smart_meter",
            user_token=self.user_token(uid),
            json={"device_id": imei, "device_type": device_type},
        )

    def disconnect_smart_meter(self, uid: str, *, imei: str) -> dict:
        """Disconnect a single device (seed 004): 202 with `deleted_at`, `deleted_reason`."""
        return self._direct(
            "POST", f"direct/auth/smart_meter/disconnect/{imei}", user_token=self.user_token(uid)
        )

    def disconnect_all_smart_meters(self, uid: str) -> dict:
        """Disconnect all devices (seed 004): 202 with `meta.total` and `connections`."""
        return self._direct(
            "POST", "direct/auth/smart_meter/disconnect_all", user_token=self.user_token(uid)
        )

    def list_smart_meters(self, uid: str) -> dict:
        """The user's connected Smart Meter IMEIs (our convention; see the module docstring)."""
        return self._direct("GET", "direct/auth/smart_meter", user_token=self.user_token(uid))


class ValidicDirectClient(VendorClient):
    """The Direct Connection API with one user's token (built by ValidicClient)."""

    vendor = Vendor.VALIDIC
    vendor_label = "Validic"

    def auth_params(self):
        return {"token": self.secrets.get("token", "")}
