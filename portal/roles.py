"""Who may do what: the one table of actions and the roles allowed each.

Pages (`portal.access.staff_action`), API views (`allowed_roles = roles_for(...)`), templates
(`{% if membership|may:"devices.manage" %}`), the route walker
(tests/security/test_route_tenancy.py) and the README's "Who may do what" section all read
`ACTIONS`; a test keeps the README's rendering equal to it.

Rules of thumb: everyone in the organization reads the patient data they need; coordinators run
the logistics (devices, enrolment and demographics, scheduling, virtual-nursing requests);
clinical decisions (triage, manual readings, thresholds, clinical notes) stay with clinical
roles; an organization admin runs the organization and, as documented since triage was built,
also triages. The membership's "clinical staff" flag decides only whether care time bills
(readings/billing.py), not what a person may do."""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import Membership, Role

EVERYONE = (Role.NURSE, Role.COORDINATOR, Role.PHYSICIAN, Role.ORG_ADMIN)
CLINICAL = (Role.NURSE, Role.PHYSICIAN, Role.ORG_ADMIN)
LOGISTICS = (Role.COORDINATOR, Role.ORG_ADMIN)
ADMIN = (Role.ORG_ADMIN,)


@dataclass(frozen=True)
class Action:
    roles: tuple[str, ...]
    what: str


ACTIONS: dict[str, Action] = {
    # --- reading
    "patients.view": Action(
        EVERYONE,
        "Read patients (demographics, readings and charts, alerts, devices, visits, care time), "
        "worklists, billing and program reports; open and dismiss alert notices sent to you",
    ),
    # --- enrolment and logistics
    "patients.enrol": Action(
        LOGISTICS, "Enrol a patient, re-enrol a discharged one, link a patient to the vendors"
    ),
    "patients.discharge": Action(
        EVERYONE,
        "Discharge a patient from monitoring (reason, date; unassign their devices) — the "
        "nurse who ends a monitoring episode is as often clinical staff as a coordinator",
    ),
    "patients.demographics": Action(LOGISTICS, "Edit a patient's demographics (sent to Solo)"),
    "devices.manage": Action(
        EVERYONE,
        "Assign, unassign and replace devices, move one to a clinic's stock, change its status; "
        "connect and disconnect Smart Meters",
    ),
    "devices.sync": Action(ADMIN, "Sync the device inventory from the vendor now"),
    "visits.schedule": Action(
        EVERYONE,
        "Book, reschedule and cancel visits; open a visit's video link or open it in Solo; send "
        "the patient their link and record their agreement to links by email; episodes of "
        "care; visit attachments",
    ),
    "visits.reports": Action(LOGISTICS, "Request and download Solo's encounter reports"),
    "assistance.request": Action(
        EVERYONE,
        "Ask Solo's virtual nurse to help at a bedside, look up and cancel a request "
        "(the virtual nurse resolves it in Solo)",
    ),
    "care.time": Action(
        EVERYONE,
        "Log care time (timer or entry) and edit your own entries; log outreach attempts "
        "(whose time bills is the billing rules' decision, not this table's)",
    ),
    "care.time_any": Action(ADMIN, "Edit or delete a colleague's care-time entry"),
    # --- clinical decisions
    "alerts.triage": Action(
        CLINICAL, "Claim, release, assign, acknowledge, note, escalate and resolve alerts"
    ),
    "readings.manual": Action(CLINICAL, "Enter a reading by hand"),
    "medications.change": Action(
        CLINICAL, "Add, change and stop entries on a patient's medication list"
    ),
    "thresholds.change": Action(CLINICAL, "Change a patient's alert thresholds"),
    "visits.clinical": Action(
        CLINICAL,
        "Write the visit note, add patient documents to Solo, request a stat teleconsult",
    ),
    "billing.sign": Action((Role.PHYSICIAN,), "Sign a month's billing report"),
    # --- running the organization
    "protocol.change": Action(ADMIN, "Change the alert protocol (on-call rota, limits)"),
    "staff.manage": Action(
        ADMIN, "Invite staff, set their role and clinical-staff flag, deactivate them"
    ),
    "organization.security": Action(
        ADMIN, "Require a second factor; reset a colleague's second factor"
    ),
}


def roles_for(action: str) -> tuple[str, ...]:
    """The roles allowed `action`; a name not in the table is a programming error (KeyError)."""
    return ACTIONS[action].roles


def may(membership: Membership | None, action: str) -> bool:
    roles = roles_for(action)  # first, so a misspelt name fails even for nobody signed in
    return membership is not None and membership.role in roles


def readme_table() -> str:
    """The table as the README shows it (tests/portal/test_roles_table.py compares them)."""
    order = EVERYONE
    names = [Role(value).label for value in order]
    lines = [
        "| action | what | " + " | ".join(names) + " |",
        "|---|---|" + "---|" * len(names),
    ]
    for name, action in ACTIONS.items():
        marks = " | ".join("yes" if role in action.roles else "—" for role in order)
        lines.append(f"| `{name}` | {action.what} | {marks} |")
    return "\n".join(lines)
