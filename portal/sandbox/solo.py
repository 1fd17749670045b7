"""Teladoc Health Solo sandbox (seed 003). Split by area; conventions in solo_common."""

from portal.sandbox import solo_appointments, solo_control, solo_integrations, solo_records

urlpatterns = [
    *solo_appointments.urlpatterns,
    *solo_records.urlpatterns,
    *solo_integrations.urlpatterns,
    *solo_control.urlpatterns,
]
