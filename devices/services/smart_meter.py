"""Validic Smart Meter actions (seed 004): connect an IMEI, disconnect one, disconnect all.

Claim → call → record, as the Impilo actions (`devices.services.claims`): the claim is keyed by
the IMEI, since a connection being made has no row yet to lock."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from devices.clients import ValidicClient
from devices.models import Device, SmartMeterConnection
from devices.services.claims import imei_key, operation_claim
from devices.services.mirror import (
    smart_meter_connected,
    smart_meter_disconnected,
    validic_uid,
    vendor_time,
)
from devices.services.rules import (
    SMART_METER_TYPES,
    DeviceRuleError,
    DeviceVendorError,
    vendor_call,
)
from devices.validators import clean_imei, imei_warning
from portal.audit import audit_event_record
from portal.http import VendorError


def validic_user_id(client: ValidicClient, patient) -> str:
    """The patient's Validic user id, provisioning the patient in Validic Inform the first
    time (seed 004, Provision User). The caller stores it when it records its own answer."""
    if patient.validic_user_id:
        return patient.validic_user_id
    uid = validic_uid(patient)
    try:
        user = client.provision_user(uid)
    except VendorError as exc:
        if exc.status != 409:  # 409: provisioned earlier by a call that failed after it
            raise
        user = client.get_user(uid)
    return user["id"]


def smart_meter_connect(
    *,
    patient,
    imei: str,
    device_type: str,
    confirm_imei: bool = False,
    by=None,
    request=None,
) -> SmartMeterConnection:
    """Connect a Smart Meter by IMEI (seed 004, Establish User Device Connection). An IMEI
    whose Luhn check digit does not match is refused with a warning (`imei_check_digit`)
    unless staff confirmed it (`confirm_imei`): a typo is likelier than such a label, but
    seed 004's own example IMEIs fail the check, so it cannot be a rule."""
    try:
        imei = clean_imei(imei)
    except ValidationError as exc:
        raise DeviceRuleError("invalid_imei", exc.messages[0], status=422, field="imei") from exc
    warning = imei_warning(imei)
    if warning and not confirm_imei:
        raise DeviceRuleError("imei_check_digit", warning, status=422, field="imei")
    if device_type not in SMART_METER_TYPES:
        raise DeviceRuleError(
            "invalid_device_type",
            f"Choose the kind of device: {', '.join(SMART_METER_TYPES)}.",
            status=422,
            field="device_type",
        )
    with transaction.atomic():
        existing = (
            SmartMeterConnection.objects.select_for_update()
            .filter(imei=imei, deleted_at__isnull=True)
            .first()
        )
        if existing is not None:
            whose = "this patient" if existing.patient_id == patient.pk else "another patient"
            raise DeviceRuleError(
                "imei_in_use", f"IMEI {imei} is already connected to {whose}.", field="imei"
            )
        taken = Device.objects.filter(identifier=imei).exclude(organization=patient.organization)
        if taken.exists():
            raise DeviceRuleError("imei_in_use", f"IMEI {imei} belongs to another organization.")
        claim = operation_claim(
            keys=[imei_key(imei)],
            organization=patient.organization,
            action="smart_meter.connect",
            by=by,
        )
    with claim.released_on_error():
        client = vendor_call(lambda: ValidicClient.for_organization(patient.organization))
        user_id, body = vendor_call(
            lambda: (
                validic_user_id(client, patient),
                client.connect_smart_meter(
                    validic_uid(patient), imei=imei, device_type=device_type
                ),
            )
        )
        credentials = body.get("credentials") or {}
        with transaction.atomic():
            if patient.validic_user_id != user_id:
                patient.validic_user_id = user_id
                patient.save(update_fields=["validic_user_id", "updated_at"])
            connection = smart_meter_connected(
                patient,
                credentials.get("device_id") or imei,
                credentials.get("device_type") or device_type,
                vendor_time(body.get("created_at")),
                by=by,
                device_name=credentials.get("device_name") or "",
            )
            audit_event_record(
                action="smart_meter.connect",
                request=request,
                actor=by,
                organization=patient.organization,
                patient=patient,
                obj=connection,
            )
            claim.release()
    return connection


def _connection_locked(connection: SmartMeterConnection) -> SmartMeterConnection:
    return (
        SmartMeterConnection.objects.select_for_update(of=("self",))
        .select_related("patient__organization", "device")
        .get(pk=connection.pk)
    )


def smart_meter_disconnect(
    *, connection: SmartMeterConnection, by=None, request=None
) -> SmartMeterConnection:
    """Disconnect a single device IMEI (seed 004)."""
    with transaction.atomic():
        connection = _connection_locked(connection)
        if not connection.is_active:
            raise DeviceRuleError("not_connected", "This Smart Meter is already disconnected.")
        patient = connection.patient
        claim = operation_claim(
            keys=[imei_key(connection.imei)],
            organization=patient.organization,
            action="smart_meter.disconnect",
            by=by,
        )
    with claim.released_on_error():
        client = vendor_call(lambda: ValidicClient.for_organization(patient.organization))
        try:
            body = client.disconnect_smart_meter(validic_uid(patient), imei=connection.imei)
        except VendorError as exc:
            if exc.status != 404:
                raise DeviceVendorError(exc) from exc
            # Validic no longer has it: the mirror was stale; record what Validic says.
            body = {"deleted_reason": "Not connected at Validic (found while disconnecting)"}
        with transaction.atomic():
            connection = _connection_locked(connection)
            smart_meter_disconnected(
                connection,
                deleted_at=vendor_time(body.get("deleted_at")),
                reason=body.get("deleted_reason") or "",
                by=by,
            )
            audit_event_record(
                action="smart_meter.disconnect",
                request=request,
                actor=by,
                organization=patient.organization,
                patient=patient,
                obj=connection,
            )
            claim.release()
    return connection


def smart_meter_disconnect_all(*, patient, by=None, request=None) -> list[SmartMeterConnection]:
    """Disconnect all device IMEIs from the patient (seed 004)."""
    with transaction.atomic():
        active = list(
            SmartMeterConnection.objects.select_for_update(of=("self",))
            .filter(patient=patient, deleted_at__isnull=True)
            .select_related("device")
        )
        if not active:
            raise DeviceRuleError("not_connected", "This patient has no Smart Meter connected.")
        claim = operation_claim(
            keys=[imei_key(c.imei) for c in active],
            organization=patient.organization,
            action="smart_meter.disconnect_all",
            by=by,
        )
    with claim.released_on_error():
        client = vendor_call(lambda: ValidicClient.for_organization(patient.organization))
        body = vendor_call(lambda: client.disconnect_all_smart_meters(validic_uid(patient)))
        answered = {
            (c.get("credentials") or {}).get("device_id"): c for c in body.get("connections") or []
        }
        with transaction.atomic():
            active = list(
                SmartMeterConnection.objects.select_for_update(of=("self",))
                .filter(pk__in=[c.pk for c in active])
                .select_related("device")
                .order_by("-created_at")
            )
            for connection in active:
                vendor_side = answered.get(connection.imei) or {}
                smart_meter_disconnected(
                    connection,
                    deleted_at=vendor_time(vendor_side.get("deleted_at")),
                    reason=vendor_side.get("deleted_reason") or "Not connected at Validic",
                    by=by,
                )
            audit_event_record(
                action="smart_meter.disconnect_all",
                request=request,
                actor=by,
                organization=patient.organization,
                patient=patient,
                detail={"count": len(active)},
            )
            claim.release()
    return active
