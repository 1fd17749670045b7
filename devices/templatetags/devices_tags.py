from django import template

register = template.Library()

PILLS = {
    "availableAtSite": "pill--ok",
    "assigned": "pill--info",
    "decommissioned": "pill--crit",
    "defective": "pill--crit",
    "returned": "pill--warn",
    "inTransit": "pill--warn",
}


@register.filter
def status_pill(status: str) -> str:
    """The pill modifier class for an Impilo device status."""
    return PILLS.get(status, "")


@register.filter
def meter_type(device_type: str) -> str:
    """A Validic device_type (seed 004) in words."""
    from devices.services import SMART_METER_TYPE_LABELS

    return SMART_METER_TYPE_LABELS.get(device_type, device_type)
