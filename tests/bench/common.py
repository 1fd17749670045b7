"""What every figure shares: the result line, timing, the scale knob and the bench cast."""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

SEED = int(os.environ.get("BENCH_SEED", "20261126"))


def scale() -> float:
    """BENCH_SCALE=1 is the issue's sizes (1M readings, 1M/10M-row chart tables, 100/10,000
    patients); 0.1 is a quick look; the harness says so when it used smaller sizes."""
    return float(os.environ.get("BENCH_SCALE", "1"))


def scaled(n: int, minimum: int = 1) -> int:
    return max(minimum, int(n * scale()))


def rng(name: str) -> random.Random:
    """A reproducible stream per figure, so figures do not shift each other's data."""
    return random.Random(f"{SEED}:{name}")


@dataclass
class Check:
    label: str
    ratio: float
    goal: str
    met: bool

    def text(self) -> str:
        return f"ratio {self.ratio:.2f} {self.label} (goal {self.goal})"


@dataclass
class Figure:
    number: int
    name: str
    measured: str = ""
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""

    def check(self, label: str, ratio: float, goal: str, met: bool) -> None:
        self.checks.append(Check(label, ratio, goal, met))

    @property
    def met(self) -> bool:
        return bool(self.checks) and all(c.met for c in self.checks)

    def line(self) -> str:
        head = f"[{self.number}] {self.name}"
        if self.skipped:
            return f"{head}: SKIPPED, not available yet: {self.skipped}"
        verdict = "PASS" if self.met else "FAIL (goal not met)"
        checks = "; ".join(c.text() for c in self.checks)
        return f"{head}: {self.measured} | {checks} | {verdict}"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_time(fn: Callable[[], object], *, repeat: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    return statistics.median(timed(fn) for _ in range(repeat))


def interleaved(
    a: Callable[[], object], b: Callable[[], object], *, repeat: int, warmup: int = 2
) -> tuple[list[float], list[float]]:
    """Times of a and b measured in turns (a, b, a, b, …), so a burst of noise from the other
    engineers' tests lands on both sides of the ratio."""
    for _ in range(warmup):
        a()
        b()
    ta, tb = [], []
    for _ in range(repeat):
        ta.append(timed(a))
        tb.append(timed(b))
    return ta, tb


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}/s"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- the bench cast ---------------------------------------------------------------------------
@dataclass
class Cast:
    organization: object
    patients: list
    devices: list
    api_key_raw: str


def cast_create(*, patients: int, slug: str = "bench") -> Cast:
    """An organization with `patients` patients, each with an assigned Validic Smart Meter
    (IMEI) and an Impilo patient id, and an API key allowed to post readings. Bulk-created:
    setup is not what is measured."""
    from devices.models import Device, DeviceSource, DeviceStatus, Item, ItemKind
    from portal.models import ApiKey, ApiScope, Organization, Patient

    organization, _ = Organization.objects.get_or_create(slug=slug, defaults={"name": slug})
    zones = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"]
    Patient.objects.bulk_create(
        [
            Patient(
                organization=organization,
                mrn=f"B{i:07d}",
                first_name=f"Bench{i}",
                last_name="Patient",
                birth_date=date(1940 + i % 50, 1 + i % 12, 1 + i % 28),
                zip_code="10027",
                time_zone=zones[i % len(zones)],
                impilo_patient_id=900_000_000 + i,
                validic_user_id=f"vu{i:08d}",
            )
            for i in range(patients)
        ],
        batch_size=2000,
    )
    people = list(Patient.objects.filter(organization=organization).order_by("pk"))
    item, _ = Item.objects.get_or_create(
        impilo_item_id=None, name="Smart Meter iPulseOx", kind=ItemKind.PULSE_OXIMETER
    )
    Device.objects.bulk_create(
        [
            Device(
                organization=organization,
                item=item,
                source=DeviceSource.VALIDIC,
                identifier=f"35{p.pk:013d}",
                current_status=DeviceStatus.ASSIGNED,
                assigned_patient=p,
            )
            for p in people
        ],
        batch_size=2000,
    )
    devices = list(Device.objects.filter(organization=organization).order_by("assigned_patient_id"))
    # The heart-rate answer names the patient and the device: those read scopes too.
    _key, raw = ApiKey.generate(
        organization=organization,
        name="bench",
        scopes=[ApiScope.READINGS_WRITE, ApiScope.PATIENTS_READ, ApiScope.DEVICES_READ],
    )
    return Cast(organization, people, devices, raw)
