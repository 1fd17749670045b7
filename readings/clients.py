"""Vendor clients for readings (thin, typed, no business rules).

- `ImpiloReadingsClient`: Record Heart Rate Reading (seed 000) and the readings list the sync
  pulls. Impilo wire conventions as decided in `portal/sandbox/impilo.py` (base `/v1`, bearer
  token, camelCase, errors `{"status", "error", "message"}`).
- `ValidicMeasurementsClient`: Validic Inform measurement records (seed 004), token in the
  query string as Validic does.
- `PatientGraphClient`: `POST /v1/patients/{patient_id}/metrics` (seed 002).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from portal.http import VendorClient, VendorError
from portal.models import Vendor

__all__ = ["ImpiloReadingsClient", "Page", "PatientGraphClient", "ValidicMeasurementsClient"]


@dataclass(frozen=True)
class Page:
    items: list[dict]
    next_cursor: str
    has_more: bool
    total: int | None = None


def _page(body, items_key, label) -> dict:
    if not isinstance(body, dict) or not isinstance(body.get(items_key), list):
        raise VendorError(label, f"answered without a '{items_key}' list")
    return body


class ImpiloReadingsClient(VendorClient):
    """Secrets: `token` (bearer)."""

    vendor = Vendor.IMPILO
    vendor_label = "Impilo"

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.secrets.get('token', '')}"}

    def record_heart_rate_reading(self, body: dict, *, idempotency_key: str) -> dict:
        """Record Heart Rate Reading (seed 000): POST a HeartRateReadingRequest, get the
        reading object. The idempotency key makes the POST safe to retry."""
        return self.json(
            "POST",
            "v1/readings/heart-rate",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,
        )

    def list_readings(self, *, after: str | None = None, limit: int = 500) -> Page:
        """Readings of the customer's patients in the order Impilo received them, after the
        opaque cursor `after` (resumable)."""
        params: dict[str, str | int] = {"limit": limit}
        if after:
            params["after"] = after
        body = _page(self.json("GET", "v1/readings", params=params), "readings", self.vendor_label)
        return Page(
            body["readings"],
            str(body.get("nextCursor") or ""),
            bool(body.get("hasMore")),
            body.get("total"),
        )


class ValidicMeasurementsClient(VendorClient):
    """Secrets: `token`, `organization_id`."""

    vendor = Vendor.VALIDIC
    vendor_label = "Validic"

    def auth_params(self):
        return {"token": self.secrets.get("token", "")}

    def list_measurements(self, *, cursor: str | None = None, limit: int = 500) -> Page:
        """The organization's measurement records (seed 004 format), oldest first, from
        `cursor`."""
        org_id = quote(self.secrets.get("organization_id", ""), safe="")
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = _page(
            self.json("GET", f"v2/organizations/{org_id}/measurements", params=params),
            "data",
            self.vendor_label,
        )
        summary = body.get("summary") or {}
        return Page(
            body["data"],
            str(summary.get("next_cursor") or ""),
            bool(summary.get("has_more")),
            summary.get("results"),
        )


class PatientGraphClient(VendorClient):
    """Secrets: `token` (bearer)."""

    vendor = Vendor.PATIENT_GRAPH
    vendor_label = "patient-graph"

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.secrets.get('token', '')}"}

    def create_metric(self, patient_id: str, body: dict, *, idempotency_key: str) -> dict:
        """POST /v1/patients/{patient_id}/metrics (seed 002): 201 with the metric entry."""
        return self.json(
            "POST",
            f"v1/patients/{quote(str(patient_id), safe='')}/metrics",
            json=body,
            headers={"Idempotency-Key": idempotency_key},
            idempotent=True,
        )
