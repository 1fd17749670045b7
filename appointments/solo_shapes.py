"""Solo's shapes, read liberally (issue 16, "Liberal in what vendors send"): a webhook payload or
an answer from Solo that carries a field seed 003 does not name is accepted, the field ignored,
and its name logged once per process and shape — the day Solo adds a field, visits keep
flowing and the log says what is new. Only names are logged, never values (they may be PHI);
a name that is not a short printable word is logged as `<odd name>`.

The portal's own API stays strict (its serializers refuse unknown fields)."""

from __future__ import annotations

import logging

from portal.vendor_shapes import names_not_yet_logged

logger = logging.getLogger(__name__)

# Seed 003 "Webhooks" payload schemas: {"event": {"type"}, "data": {"patientId"|"appointmentId"}};
# the episode events name their episode (episodeId, as the sandbox sends).
PAYLOAD_FIELDS = frozenset({"event", "data"})
PAYLOAD_DATA_FIELDS = frozenset({"appointmentId", "patientId", "episodeId"})
# Seed 003 "Get Appointment".
APPOINTMENT_FIELDS = frozenset(
    {
        "id",
        "date",
        "duration",
        "reasons",
        "status",
        "videoCall",
        "externalId",
        "patient",
        "providers",
        "accountNumber",
        "episodeOfCareId",
    }
)
VIDEO_CALL_FIELDS = frozenset({"id", "status"})
# Seed 003 "Get Patient" / "Get Patient with SPID" (both spellings of the shared email group).
PATIENT_FIELDS = frozenset(
    {
        "id",
        "mrn",
        "accountNumber",
        "name",
        "birthDate",
        "gender",
        "maritalStatus",
        "telecom",
        "contact",
        "preferredLanguage",
        "race",
        "ethnicity",
        "address",
        "active",
        "deceased",
        "deceasedAt",
        "familyMember",
        "isLinkedByEmail",
        "sharedEmailGroup",
        "groupType",
        "groupName",
    }
)
# Seed 003 "Get Episode".
EPISODE_FIELDS = frozenset(
    {
        "id",
        "name",
        "from",
        "to",
        "type",
        "status",
        "objective",
        "reasonIncomplete",
        "soloPatientId",
        "externalPatientId",
        "patientId",
    }
)


def _safe_name(name) -> str:
    text = str(name)
    if len(text) <= 40 and text.isascii() and text.replace("_", "").replace("-", "").isalnum():
        return text
    return "<odd name>"


def unknown_fields(shape: str, body, known: frozenset) -> list[str]:
    """The names in `body` (a dict) that seed 003 does not give `shape`; each new one is logged
    once per process. Anything that is not a dict has no fields to report."""
    if not isinstance(body, dict):
        return []
    extra = sorted(_safe_name(k) for k in body if k not in known)
    new = names_not_yet_logged(f"solo {shape}", extra)
    if new:
        logger.info("solo %s carries fields seed 003 does not name (ignored): %s", shape, new)
    return extra


def known_only(shape: str, body: dict, known: frozenset) -> dict:
    """`body` without the fields seed 003 does not name (each noted once, as above)."""
    unknown_fields(shape, body, known)
    return {k: v for k, v in body.items() if k in known}
