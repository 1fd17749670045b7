"""Every write on devices: one function per business action, named `<noun>_<verb>`.

- `rules`: seed 001's and seed 004's rules and the two errors the actions raise;
- `claims`: claim → call → record, so no vendor call runs inside a transaction or under a lock;
- `mirror`: writing a vendor's answer into the mirror (shared with `devices.sync`);
- `assignment`: the Impilo actions (assign, unassign, replace, status);
- `site`: associate a device with a site (clinic stock);
- `smart_meter`: the Validic Smart Meter actions (connect, disconnect, disconnect all).

Callers import from here."""

from devices.services.assignment import (
    device_assign,
    device_replace,
    device_set_status,
    device_unassign,
)
from devices.services.rules import (
    NOTE_REQUIRED_STATUSES,
    SMART_METER_TYPE_LABELS,
    SMART_METER_TYPES,
    DeviceRuleError,
    DeviceVendorError,
    Problem,
    assignment_problem,
    device_assignable_problem,
    replacement_kind_problem,
    status_change_problem,
)
from devices.services.site import device_associate_site, site_association_problem
from devices.services.smart_meter import (
    smart_meter_connect,
    smart_meter_disconnect,
    smart_meter_disconnect_all,
)

__all__ = [
    "NOTE_REQUIRED_STATUSES",
    "SMART_METER_TYPES",
    "SMART_METER_TYPE_LABELS",
    "DeviceRuleError",
    "DeviceVendorError",
    "Problem",
    "assignment_problem",
    "device_assign",
    "device_assignable_problem",
    "device_associate_site",
    "device_replace",
    "device_set_status",
    "device_unassign",
    "replacement_kind_problem",
    "site_association_problem",
    "smart_meter_connect",
    "smart_meter_disconnect",
    "smart_meter_disconnect_all",
    "status_change_problem",
]
