"""Claim → call → record: how a device action talks to a vendor without holding a row lock.

1. Claim: a short transaction locks the device row (or the Smart Meter connection), checks the
   rules against it and inserts a `DeviceOperation` row keyed by the device (`device:<pk>`) or
   the IMEI (`imei:<IMEI>`), then commits. The lock lasts milliseconds.
2. Call: the vendor request runs with no transaction open and no lock held. A second action on
   the same device meanwhile finds the claim and is refused at once with a conflict (409), as
   it would be refused by the rules once the first action is recorded; it does not wait for
   the vendor's timeout and retries.
3. Record: a second short transaction re-reads the rows, applies the vendor's answer, writes
   history and audit, and deletes the claim. The record steps are idempotent: if the mirror
   already shows the vendor's answer (a sync got there first), nothing is written twice.

An error anywhere after the claim (a vendor refusal or outage, a bug, a database error) deletes
the claim and re-raises, so the same error reaches staff and the next action can start at once.

A claim left by a process that died between 1 and 3 (killed worker, lost host): it goes stale
after CLAIM_STALE_AFTER, longer than the slowest vendor exchange any action makes with the
configured timeouts and retries (see `tests/devices/test_device_claims.py`). A stale claim is
taken over by the next action on the same device (that action checks its rules and calls the
vendor afresh: Impilo answers an association it already has with 409, which `device_assign`
reads back as done), and the device sync deletes its organization's stale claims before it
reconciles the mirror with the vendor. The sync leaves a device with a live claim alone: the
action holding it records the vendor's answer itself (with its author and note).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from devices.models import Device, DeviceOperation
from devices.services.rules import DeviceRuleError

logger = logging.getLogger("devices.services")

CLAIM_STALE_AFTER = timedelta(minutes=10)

# A claim held by an action that is giving the device to a patient answers a second action
# with the conflict that action would meet once the first is recorded; any other claim with
# "in progress".
BUSY = {
    "device.assign": (
        "device_already_assigned",
        "This device is being assigned to a patient right now. Pick another device.",
    ),
    "smart_meter.connect": (
        "imei_in_use",
        "This IMEI is being connected to a patient right now.",
    ),
}
BUSY_OTHERWISE = (
    "device_busy",
    "Another change to this device is in progress. Try again in a moment.",
)


def device_key(device: Device) -> str:
    return f"device:{device.pk}"


def imei_key(imei: str) -> str:
    return f"imei:{imei}"


def claim_is_stale(started_at, now=None) -> bool:
    return started_at <= (now or timezone.now()) - CLAIM_STALE_AFTER


@dataclass
class Claim:
    keys: list[str]

    def release(self) -> None:
        """Delete the claim. Inside the record transaction it goes with the record; alone
        (autocommit) after an error."""
        DeviceOperation.objects.filter(key__in=self.keys).delete()

    @contextlib.contextmanager
    def released_on_error(self):
        """Steps 2 and 3 run in here: any error releases the claim and propagates unchanged."""
        try:
            yield self
        except Exception:
            self.release()
            raise


def operation_claim(*, keys: list[str], organization, action: str, by=None) -> Claim:
    """Claim `keys` for `action` (step 1). Must run inside the transaction that checked the
    rules; raises DeviceRuleError (409) when another live claim holds one of the keys."""
    now = timezone.now()
    for key in sorted(keys):  # one order, so two multi-key claims cannot deadlock
        held = DeviceOperation.objects.select_for_update().filter(key=key).first()
        if held is not None:
            if not claim_is_stale(held.started_at, now):
                raise _busy(held.action)
            # The process that took it died between claim and record (see the module note).
            logger.warning("device claim taken over: stale action=%s", held.action)
            held.delete()
        try:
            with transaction.atomic():  # a concurrent insert of the same key loses here
                DeviceOperation.objects.create(
                    key=key,
                    organization=organization,
                    action=action,
                    started_at=now,
                    started_by=by,
                )
        except IntegrityError:
            holder = DeviceOperation.objects.filter(key=key).values_list("action", flat=True)
            raise _busy(holder.first() or "") from None
    return Claim(keys=sorted(keys))


def _busy(held_action: str) -> DeviceRuleError:
    code, message = BUSY.get(held_action, BUSY_OTHERWISE)
    return DeviceRuleError(code, message)


def live_claim_keys(keys) -> set[str]:
    """Which of `keys` a live (not stale) claim holds: the sync leaves those to their action."""
    return set(
        DeviceOperation.objects.filter(
            key__in=list(keys), started_at__gt=timezone.now() - CLAIM_STALE_AFTER
        ).values_list("key", flat=True)
    )


def stale_claims_clear(organization) -> int:
    """Delete `organization`'s stale claims (the device sync does this before it reconciles
    the mirror with the vendor, which is what the dead process would have recorded)."""
    deleted, _ = DeviceOperation.objects.filter(
        organization=organization, started_at__lte=timezone.now() - CLAIM_STALE_AFTER
    ).delete()
    if deleted:
        logger.warning("device sync cleared stale claims org=%s count=%d", organization.pk, deleted)
    return deleted
