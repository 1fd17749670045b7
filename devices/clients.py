"""Impilo and Validic clients (thin, typed, no business rules).

Impilo wire conventions are decided in `portal/sandbox/impilo.py` (the seed documents name the
operations, not their paths): base `/v1`, bearer token, camelCase JSON, errors
`{"status", "error", "message"}`.
"""

from portal.http import VendorClient, VendorError
from portal.models import Vendor

__all__ = ["ImpiloClient", "VendorError"]


class ImpiloClient(VendorClient):
    """Secrets: `token` (bearer)."""

    vendor = Vendor.IMPILO
    vendor_label = "Impilo"

    def auth_headers(self):
        return {"Authorization": f"Bearer {self.secrets.get('token', '')}"}

    def get_patient(self, patient_id: int) -> dict:
        """Patient lookup (seed 001, Device Association Workflow step 2)."""
        return self.json("GET", f"v1/patients/{int(patient_id)}")

    def get_site(self, site_id: int) -> dict:
        """Site lookup (seed 001, Device Association Workflow step 2)."""
        return self.json("GET", f"v1/sites/{int(site_id)}")
