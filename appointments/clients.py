"""The Teladoc Health Solo external API client (seed 003, `/qapi/v1`). Thin: one method per
documented operation, named after it, returning the vendor's JSON (dicts/lists) or bytes; every
failure is a `VendorError` carrying Solo's own message."""

from __future__ import annotations

from typing import Any

from portal.http import VendorClient, VendorError
from portal.models import Vendor

__all__ = ["SoloClient", "VendorError"]


class SoloClient(VendorClient):
    vendor = Vendor.SOLO
    vendor_label = "Solo"

    def auth_headers(self) -> dict[str, str]:
        return {"Api-Key": self.secrets.get("api_key", "")}

    def error_message(self, response):
        """Solo answers `{"error": {"message": ...}}`, or `{"message": ...}` (virtual nursing)."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            inner = body.get("error")
            if isinstance(inner, dict) and isinstance(inner.get("message"), str):
                return inner["message"], None
            if isinstance(body.get("message"), str):
                return body["message"], None
        return super().error_message(response)

    def _q(self, path: str) -> str:
        return f"qapi/v1/{path}"

    # --- Patients ------------------------------------------------------------------------
    def patient_create(self, patient: dict) -> int:
        """Create Patient — POST /patients (`id` required); returns the Solo patient id."""
        return self.json("POST", self._q("patients"), json=patient)

    def patient_get(self, patient_id: str) -> dict:
        """Get Patient — GET /patients/{patient_id}."""
        return self.json("GET", self._q(f"patients/{patient_id}"))

    def patient_update(self, patient_id: str, fields: dict) -> Any:
        """Update Patient — PUT /patients/{patient_id}."""
        return self.json("PUT", self._q(f"patients/{patient_id}"), json=fields)

    def patient_get_by_spid(self, spid: str) -> dict:
        """Get Patient with SPID — GET /patients/id/type/SPID/value/{spid}."""
        return self.json("GET", self._q(f"patients/id/type/SPID/value/{spid}"))

    def patient_update_by_spid(self, spid: str, fields: dict) -> Any:
        """Update Patient with SPID — PUT /patients/id/type/SPID/value/{spid}."""
        return self.json("PUT", self._q(f"patients/id/type/SPID/value/{spid}"), json=fields)

    # --- Appointments --------------------------------------------------------------------
    def appointment_create(self, patient_id: str, appointment: dict) -> dict:
        """Create Appointment — POST /patients/{patient_id}/appointments → {id, visitUrl}.
        Not retried: a lost answer must not book twice (callers pass an externalId)."""
        return self.json("POST", self._q(f"patients/{patient_id}/appointments"), json=appointment)

    def appointment_create_by_hsid(self, hsid: str, appointment: dict) -> dict:
        """Create Appointment with HSID — POST /patients/HSID/{hsid}/appointments."""
        return self.json("POST", self._q(f"patients/HSID/{hsid}/appointments"), json=appointment)

    def appointment_create_by_spid(self, spid: str, appointment: dict) -> dict:
        """Create Appointment with SPID — POST /patients/id/type/SPID/value/{spid}/appointments."""
        return self.json(
            "POST", self._q(f"patients/id/type/SPID/value/{spid}/appointments"), json=appointment
        )

    def appointment_get(self, appointment_id) -> dict:
        """Get Appointment — GET /appointments/{appointment_id}."""
        return self.json("GET", self._q(f"appointments/{appointment_id}"))

    def appointment_update(self, appointment_id, fields: dict) -> dict:
        """Update Appointment — PUT /appointments/{appointment_id} → {id, visitUrl}."""
        return self.json("PUT", self._q(f"appointments/{appointment_id}"), json=fields)

    def appointment_cancel(self, appointment_id) -> dict:
        """Update Appointment with `status: cancelled` (the only status a client may set)."""
        return self.appointment_update(appointment_id, {"status": "cancelled"})

    def provider_link(self, appointment_id) -> dict:
        """Get Provider Appointment Link — GET /appointments/{id}/provider-link."""
        return self.json("GET", self._q(f"appointments/{appointment_id}/provider-link"))

    def msteams_provider_link(self, appointment_id) -> dict:
        """Get Microsoft Teams Provider Video Call Link (needs the `Teams-Auth-Token`)."""
        return self.json(
            "GET",
            self._q(f"appointments/{appointment_id}/msteams-provider-link"),
            headers={"Teams-Auth-Token": self.secrets.get("teams_auth_token", "")},
        )

    def video_call_links(self, external_id: str) -> dict:
        """Get Provider and Patient Appointment Link — by the appointment's external id."""
        return self.json("GET", self._q(f"appointments/{external_id}/video-call-links"))

    def video_call_links_by_said(self, said) -> dict:
        """Get Provider and Patient Appointment Link with SAID."""
        return self.json("GET", self._q(f"appointments/id/type/SAID/value/{said}/video-call-links"))

    def waiting_rooms(self) -> list[dict]:
        """Get Waiting Room List — GET /waiting-rooms."""
        return self.json("GET", self._q("waiting-rooms"))

    def appointment_slots(
        self, *, after: int, before: int, waiting_room: str, duration: int | None = None
    ) -> list[dict]:
        """Get Slots — GET /appointment-slots?after&before&waitingRoom[&duration]."""
        params = {"after": after, "before": before, "waitingRoom": waiting_room}
        if duration is not None:
            params["duration"] = duration
        return self.json("GET", self._q("appointment-slots"), params=params)

    # --- Visit note ----------------------------------------------------------------------
    def visit_note_get(self, appointment_id) -> list[dict]:
        """Get Visit Note — GET /appointments/{id}/visit-note."""
        return self.json("GET", self._q(f"appointments/{appointment_id}/visit-note"))

    def visit_note_update(self, appointment_id, *, name: str, questions: list[dict]) -> Any:
        """Update Visit Note — PUT /appointments/{id}/visit-note {name, questions[{id, value}]}."""
        return self.json(
            "PUT",
            self._q(f"appointments/{appointment_id}/visit-note"),
            json={"name": name, "questions": questions},
        )

    # --- Attachments ---------------------------------------------------------------------
    def attachment_upload(
        self, appointment_id, *, content: bytes, mime_type: str, file_name: str
    ) -> dict:
        """Upload attachment — POST /appointments/{id}/attachments?fileName, raw body."""
        return self.json(  # json(): a broken answer is a VendorError, not a ValueError
            "POST",
            self._q(f"appointments/{appointment_id}/attachments"),
            params={"fileName": file_name},
            data=content,
            headers={"Content-Type": mime_type},
        )

    def attachments(self, appointment_id) -> dict:
        """Get Appointment Attachments — {"attachments": [...]}."""
        return self.json("GET", self._q(f"appointments/{appointment_id}/attachments"))

    def attachment_delete(self, appointment_id, attachment_id: str) -> None:
        """Delete appointment attachment."""
        self.request(
            "DELETE", self._q(f"appointments/{appointment_id}/attachments/{attachment_id}")
        )

    # --- Patient documents ---------------------------------------------------------------
    def patient_document_add(self, patient_id: str, document: dict) -> Any:
        """Add Patient Document — POST /patients/{id}/documents {name, dateTime, responses}."""
        return self.json("POST", self._q(f"patients/{patient_id}/documents"), json=document)

    # --- Episodes ------------------------------------------------------------------------
    def episode_create(self, patient_id: str, episode: dict) -> dict:
        """Create Episode — POST /patients/{id}/episodes → {episodeId}."""
        return self.json("POST", self._q(f"patients/{patient_id}/episodes"), json=episode)

    def episodes(self, patient_id: str) -> dict:
        """Get list of Episodes for patient → {"episodes": [...]}."""
        return self.json("GET", self._q(f"patients/{patient_id}/episodes"))

    def episode_get(self, episode_id: str) -> dict:
        """Get Episode — GET /episodes/{episode_id}."""
        return self.json("GET", self._q(f"episodes/{episode_id}"))

    def episode_update(self, episode_id: str, episode: dict) -> Any:
        """Update Episode — PUT /episodes/{episode_id}."""
        return self.json("PUT", self._q(f"episodes/{episode_id}"), json=episode)

    def episode_appointments(self, episode_id: str) -> dict:
        """Get list of Appointments for an Episode → {"episode", "appointments"}."""
        return self.json("GET", self._q(f"episodes/{episode_id}/appointments"))

    def episode_assign(self, appointment_id, episode_id: str | None) -> Any:
        """Reassign Episode to Appointment — PUT /appointments/{id}/episode/assign."""
        body = {"episodeId": episode_id} if episode_id else {}
        return self.json("PUT", self._q(f"appointments/{appointment_id}/episode/assign"), json=body)

    # --- Reports -------------------------------------------------------------------------
    def csv_data_dump(self, *, start, end) -> bytes:
        """Get CSV report — GET /reports/csv-data-dump?from&to (dates) → CSV bytes."""
        return self.request(
            "GET",
            self._q("reports/csv-data-dump"),
            params={"from": start.isoformat(), "to": end.isoformat()},
        ).content

    def encounter_report_create(self, *, start, end, preset_id: str, password: str) -> dict:
        """Set encounter-report generation in create → {id, status}."""
        return self.json(
            "POST",
            self._q("encounter-report/create"),
            json={
                "from": start.isoformat(timespec="seconds"),
                "to": end.isoformat(timespec="seconds"),
                "presetId": preset_id,
                "password": password,
            },
        )

    def encounter_report_status(self, report_id: str) -> dict:
        """Check report status → {id, status} (pending, completed, failed)."""
        return self.json("GET", self._q(f"encounter-report/status/{report_id}"))

    def encounter_report_download(self, report_id: str) -> bytes:
        """Encounter report Download → zipped CSV bytes."""
        return self.request("GET", self._q(f"encounter-report/download/{report_id}")).content

    # --- Integrations --------------------------------------------------------------------
    def perfect_answer(self, request_body: dict) -> dict:
        """Perfect answer API — POST /perfect-answer → {patientId, encounterId}."""
        return self.json("POST", self._q("perfect-answer"), json=request_body)

    def linking_url(self, arg: str) -> str:
        """Connect — the URL `GET /integrations/linking?arg=` a browser is sent to."""
        from urllib.parse import urlencode

        return f"{self.base_url}integrations/linking?{urlencode({'arg': arg})}"

    # --- Webhooks ------------------------------------------------------------------------
    def webhook_add(self, *, endpoint: str, events: list[str]) -> dict:
        """Add Webhook — POST /webhooks → {id, endpoint, events, encryptionKey}."""
        return self.json("POST", self._q("webhooks"), json={"endpoint": endpoint, "events": events})

    def webhook_update(self, webhook_id: str, *, endpoint: str, events: list[str]) -> dict:
        """Update Webhook — PUT /webhooks/{id}."""
        return self.json(
            "PUT", self._q(f"webhooks/{webhook_id}"), json={"endpoint": endpoint, "events": events}
        )

    def webhooks(self) -> list[dict]:
        """Webhooks Collection — GET /webhooks."""
        return self.json("GET", self._q("webhooks"))

    def webhook_get(self, webhook_id: str) -> dict:
        """Get Webhook — GET /webhooks/{id} (includes the encryptionKey)."""
        return self.json("GET", self._q(f"webhooks/{webhook_id}"))

    def webhook_delete(self, webhook_id: str) -> None:
        """Delete Webhook — DELETE /webhooks/{id} (deactivates it)."""
        self.request("DELETE", self._q(f"webhooks/{webhook_id}"))

    # --- Virtual nursing -----------------------------------------------------------------
    def assistance_request_create(self, location: dict) -> dict:
        """Create Assistance Request — POST /request-assistance with one of the four bodies
        (building/floor/room[/bed], department/room[/bed], patientMrn, deviceSerialNumber)."""
        return self.json("POST", self._q("request-assistance"), json=location)

    def assistance_request_get(self, location: dict) -> dict:
        """Get Current Assistance Request — GET /request-assistance (with a JSON body)."""
        return self.json("GET", self._q("request-assistance"), json=location)

    def assistance_request_cancel(self, location: dict) -> None:
        """Cancel Current Assistance Request — DELETE /request-assistance (with a JSON body)."""
        self.request("DELETE", self._q("request-assistance"), json=location)
