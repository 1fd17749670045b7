"""The demo world: what the vendors hold for the demo organization (its Impilo customer, sites,
patients, devices, Smart Meter connections, Solo waiting rooms and visits, the sandbox's
credentials) plus the staff logins the demo prints. The sandbox seeds itself from here at
start-up and on every reset (the month of readings is in `world_readings`); the demo loader
(`portal.demo`) reads the organization's setup from here and mirrors the rest through the
vendor pulls, so every id in the demo database is one the sandbox serves.
Deterministic: the same seed gives the same world on every machine."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ORG_SLUG = "riverside"
ORG_NAME = "Riverside Heart & Vascular"
IMPILO_CUSTOMER_ID = "7001"
OTHER_IMPILO_CUSTOMER_ID = "7999"  # a different customer: its patients cannot get our devices
SOLO_BRAND = "riverside"
# Patients the clinic registered with Impilo (with a device order) but has not enrolled in the
# portal yet: enrolling one of these MRNs finds them at Impilo (the demo and the browser test).
IMPILO_AWAITING_ENROLMENT = [
    {
        "id": 31000 + n,
        "externalId": f"RHV-30000{n}",
        "firstName": first,
        "lastName": last,
        "dateOfBirth": born,
        "zipCode": "10001",
    }
    for n, (first, last, born) in enumerate(
        [
            ("Nora", "Quint", "1951-04-12"),
            ("Elias", "Brandt", "1948-09-30"),
            ("Maya", "Lindqvist", "1962-01-17"),
        ],
        start=1,
    )
]
PATIENT_GRAPH_BRAND_ID = "brand-riverside"

# Sandbox credentials (the sandbox accepts exactly these; never real secrets).
IMPILO_TOKEN = "sandbox-impilo-token"
VALIDIC_TOKEN = "sandbox-validic-token"
VALIDIC_ORG_ID = "5ef0ef69sandboxba562"
PATIENT_GRAPH_TOKEN = "sandbox-patient-graph-token"
SOLO_API_KEY = "sandbox-solo-api-key"
SOLO_TEAMS_TOKEN = "sandbox-teams-token"
SOLO_LINKING_SECRET = "sandbox-solo-linking-secret"  # the brand's context-aware-linking secret

STAFF = [
    # username, first, last, role, password
    ("nurse", "Nina", "Okafor", "nurse", "demo-nurse-pass"),
    ("coordinator", "Carlos", "Mendes", "coordinator", "demo-coord-pass"),
    ("admin", "Ada", "Whitfield", "org_admin", "demo-admin-pass"),
    ("physician", "Priya", "Raman", "physician", "demo-physician-pass"),
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
    solo_spid: int  # seed 003: "solo_patient_id int"
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
                solo_spid=100200 + i * 7,
                patient_graph_id=f"pg-{9000 + i}",
            )
        )
    return people


# --- devices: the catalogue and the customer's inventory at Impilo, and the Smart Meter devices
# --- connected at Validic.
ITEMS = [
    # impilo item id, name, kind
    (101, "BodyTrace BT105 Blood Pressure Monitor", "blood_pressure"),
    (102, "BodyTrace BT005 Weight Scale", "weight_scale"),
    (103, "Smart Meter iPulseOx", "pulse_oximeter"),
    (104, "Smart Meter iGlucose", "glucometer"),
    (105, "Withings Thermo", "thermometer"),
    (106, "AAA batteries (4-pack)", "non_medical"),
]


@dataclass(frozen=True)
class DemoDevice:
    impilo_device_id: int | None  # None for Validic Smart Meter devices (known by IMEI only)
    item_id: int
    identifier: str  # serial number or 15-digit IMEI
    site_id: int
    status: str  # Impilo status (devices.models.DeviceStatus values)
    patient_index: int | None  # index into demo_patients(), when assigned
    source: str  # "impilo" or "validic"


def _imei(n: int) -> str:
    """A 15-digit IMEI with a valid Luhn check digit, deterministic from n."""
    body = f"35{n:012d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return body + str((10 - total % 10) % 10)


def demo_devices(patient_count: int = 50) -> list[DemoDevice]:
    devices: list[DemoDevice] = []
    next_id = iter(range(80001, 90000))
    for i in range(patient_count):
        site = 501 if i % 4 else 502
        if i % 3 != 2:  # two patients in three have a cellular BP cuff
            devices.append(
                DemoDevice(next(next_id), 101, f"BT105-{24000 + i}", site, "assigned", i, "impilo")
            )
        if i % 2 == 0:  # every other patient weighs daily (heart failure programme)
            devices.append(
                DemoDevice(next(next_id), 102, f"BT005-{51000 + i}", site, "assigned", i, "impilo")
            )
        if i % 5 == 0:  # Smart Meter pulse oximeter through Validic
            devices.append(DemoDevice(None, 103, _imei(1000 + i), site, "assigned", i, "validic"))
        if i % 7 == 3:  # Smart Meter glucometer through Validic
            devices.append(DemoDevice(None, 104, _imei(2000 + i), site, "assigned", i, "validic"))
    for n in range(12):  # shelf stock at the clinics, ready to assign
        item = (101, 102, 101, 105)[n % 4]
        prefix = {101: "BT105", 102: "BT005", 105: "WTH"}[item]
        devices.append(
            DemoDevice(
                next(next_id),
                item,
                f"{prefix}-S{700 + n}",
                501 if n % 3 else 502,
                "availableAtSite",
                None,
                "impilo",
            )
        )
    for n in range(3):  # still in Impilo's warehouse: cannot be assigned yet
        devices.append(
            DemoDevice(next(next_id), 101, f"BT105-W{900 + n}", 900, "available", None, "impilo")
        )
    devices.append(
        DemoDevice(next(next_id), 101, "BT105-D001", 501, "decommissioned", None, "impilo")
    )
    devices.append(DemoDevice(next(next_id), 102, "BT005-D002", 501, "defective", None, "impilo"))
    return devices


# --- Solo: the practice's waiting rooms and the upcoming visits booked in Solo --------------
PRACTICE_TZ = ZoneInfo("America/New_York")
WAITING_ROOMS = [
    # name, slot seconds, service line, service type
    ("Cardiology Follow-up", 900, "Cardiology", "Follow-up"),
    ("RPM Check-in", 900, "Remote Monitoring", "Check-in"),
    ("Nurse Triage", 600, "Nursing", "Triage"),
]


def waiting_room_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"solo-waiting-room:{name}"))


def seeded_appointment_plan(today: date | None = None) -> list[dict]:
    """Upcoming visits for the first demo patients, booked in Solo:
    [{id, patient_index, waiting_room, start, duration}]."""
    today = today or datetime.now(PRACTICE_TZ).date()
    plan = []
    for i in range(12):
        day = today + timedelta(days=i // 3)
        name, slot, _, _ = WAITING_ROOMS[i % len(WAITING_ROOMS)]
        start = datetime.combine(day, time(10 + (i % 3) * 2, 0), tzinfo=PRACTICE_TZ)
        plan.append(
            {
                "id": 500 + i,
                "patient_index": i,
                "waiting_room": name,
                "start": start,
                "duration": slot,
            }
        )
    return plan
