from django.urls import path

from devices import views

app_name = "devices"

urlpatterns = [
    path("", views.device_list, name="list"),
    path("sync/", views.sync_start, name="sync"),
    path("sync/status/", views.sync_status, name="sync_status"),
    path("<int:pk>/", views.device_detail, name="detail"),
    path("<int:pk>/patients/", views.patient_options, name="patient_options"),
    path("<int:pk>/assign/", views.device_assign_view, name="assign"),
    path("<int:pk>/unassign/", views.device_unassign_view, name="unassign"),
    path("<int:pk>/replace/", views.device_replace_view, name="replace"),
    path("<int:pk>/site/", views.device_site_view, name="site"),
    path("<int:pk>/status/", views.device_status_view, name="status"),
    path("patients/<int:patient_pk>/options/", views.device_options, name="device_options"),
    path("patients/<int:patient_pk>/assign/", views.patient_assign_view, name="patient_assign"),
    path(
        "patients/<int:patient_pk>/smart-meters/",
        views.smart_meter_connect_view,
        name="smart_meter_connect",
    ),
    path(
        "patients/<int:patient_pk>/smart-meters/<int:connection_pk>/disconnect/",
        views.smart_meter_disconnect_view,
        name="smart_meter_disconnect",
    ),
    path(
        "patients/<int:patient_pk>/smart-meters/disconnect-all/",
        views.smart_meter_disconnect_all_view,
        name="smart_meter_disconnect_all",
    ),
]
