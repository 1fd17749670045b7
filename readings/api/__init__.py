"""Readings API (`/api/v1/`): ingestion in the vendors' shapes (`ingest`), reads (`reads`)
and the FHIR export (`observations`).
URL names and paths are the API's contract."""

from django.urls import path

from readings.api.ingest import HeartRateReadingView, MeasurementsView, PatientMetricsView
from readings.api.observations import ObservationsView
from readings.api.reads import PatientReadingsView

urlpatterns = [
    path("readings/heart-rate", HeartRateReadingView.as_view(), name="api-reading-heart-rate"),
    path(
        "patients/<str:patient_id>/metrics",
        PatientMetricsView.as_view(),
        name="api-patient-metrics",
    ),
    path("measurements", MeasurementsView.as_view(), name="api-measurements"),
    path("patients/<int:pk>/readings", PatientReadingsView.as_view(), name="api-patient-readings"),
    path(
        "patients/<int:pk>/observations",
        ObservationsView.as_view(),
        name="api-patient-observations",
    ),
]
