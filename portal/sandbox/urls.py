from django.urls import include, path

from portal.sandbox import (
    control,
    impilo,
    impilo_devices,
    impilo_orders,
    impilo_readings,
    patient_graph,
    solo,
    validic_connections,
    validic_measurements,
)

urlpatterns = [
    path("_faults", control.faults, name="sandbox-faults"),
    path("_reset", control.reset, name="sandbox-reset"),
    path("impilo/", include(impilo)),
    path("impilo/", include(impilo_devices)),
    path("impilo/", include(impilo_readings)),
    path("impilo/", include(impilo_orders)),
    path("validic/", include(validic_connections)),
    path("validic/", include(validic_measurements)),
    path("patient-graph/", include(patient_graph)),
    path("solo/", include(solo)),
]
