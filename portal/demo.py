"""The demo cast, defined once so the database (load_demo_data) and the vendor sandbox agree on
every id. Deterministic: the same seed gives the same patients on every machine."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

ORG_SLUG = "riverside"
ORG_NAME = "Riverside Heart & Vascular"
IMPILO_CUSTOMER_ID = "7001"
OTHER_IMPILO_CUSTOMER_ID = "7999"  # a different customer: its patients cannot get our devices
SOLO_BRAND = "riverside"
PATIENT_GRAPH_BRAND_ID = "brand-riverside"

# Sandbox credentials (the sandbox accepts exactly these; never real secrets).
IMPILO_TOKEN = "sandbox-impilo-token"
VALIDIC_TOKEN = "sandbox-validic-token"
VALIDIC_ORG_ID = "5ef0ef69sandboxba562"
PATIENT_GRAPH_TOKEN = "sandbox-patient-graph-token"
SOLO_API_KEY = "sandbox-solo-api-key"
SOLO_TEAMS_TOKEN = "sandbox-teams-token"

STAFF = [
    # username, first, last, role, password
    ("nurse", "Nina", "Okafor", "nurse", "demo-nurse-pass"),
    ("coordinator", "Carlos", "Mendes", "coordinator", "demo-coord-pass"),
    ("admin", "Ada", "Whitfield", "org_admin", "demo-admin-pass"),
]

SITES = [
    # impilo_site_id, name, is_vendor_site, time zone
    (501, "Riverside Main Clinic", False, "America/New_York"),
    (502, "Riverside West (Denver)", False, "America/Denver"),
    (900, "Impilo Warehouse", True, "America/Chicago"),
]

FIRST = [
    "Maria",
    "James",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "David",
    "Barbara",
    "William",
    "Elizabeth",
    "Joseph",
    "Jennifer",
    "Thomas",
    "Susan",
    "Charles",
    "Dorothy",
    "Daniel",
    "Margaret",
    "Paul",
    "Lisa",
    "Mark",
    "Nancy",
    "Donald",
    "Karen",
    "George",
    "Betty",
    "Kenneth",
    "Helen",
    "Steven",
    "Sandra",
    "Edward",
    "Donna",
    "Brian",
    "Carol",
    "Ronald",
    "Ruth",
    "Anthony",
    "Sharon",
    "Kevin",
    "Michelle",
    "Jason",
    "Laura",
    "Matthew",
    "Deborah",
    "Gary",
    "Kimberly",
    "Timothy",
    "Amy",
    "Jose",
    "Angela",
    "Larry",
    "Rosa",
]
LAST = [
    "Garcia",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Okoye",
]
# (ZIP, IANA zone): the ZIP's zone is what Impilo calls the patient's time zone.
PLACES = [
    ("10027", "America/New_York"),
    ("33101", "America/New_York"),
    ("60614", "America/Chicago"),
    ("75201", "America/Chicago"),
    ("80205", "America/Denver"),
    ("85004", "America/Phoenix"),  # no DST
    ("98101", "America/Los_Angeles"),
    ("96813", "Pacific/Honolulu"),
]


@dataclass(frozen=True)
class DemoPatient:
    index: int
    mrn: str
    first_name: str
    last_name: str
    birth_date: date
    zip_code: str
    time_zone: str
    phone: str
    impilo_patient_id: int
    validic_user_id: str
    solo_id: str
    solo_spid: str
    patient_graph_id: str


def demo_patients(count: int = 50, seed: int = 20261125) -> list[DemoPatient]:
    rng = random.Random(seed)
    people = []
    for i in range(count):
        zip_code, zone = PLACES[i % len(PLACES)]
        people.append(
            DemoPatient(
                index=i,
                mrn=f"RHV-{100200 + i * 7}",
                first_name=FIRST[i % len(FIRST)],
                last_name=LAST[(i * 7) % len(LAST)],
                birth_date=date(rng.randint(1936, 1985), rng.randint(1, 12), rng.randint(1, 28)),
                zip_code=zip_code,
                time_zone=zone,
                phone=f"+1-555-01{i:02d}",
                impilo_patient_id=30000 + i,
                validic_user_id=f"652572{i:04d}e18b8b8",
                solo_id=f"{4000 + i}",
                solo_spid=f"SPID-RHV-{100200 + i * 7}",
                patient_graph_id=f"pg-{9000 + i}",
            )
        )
    return people
