from django.urls import path

from readings import views

app_name = "readings"

urlpatterns = [
    path("", views.overview, name="alerts"),
    path("patients/<int:pk>/", views.patient_chart, name="chart"),
    path("patients/<int:pk>/table/", views.patient_table, name="table"),
    path("patients/<int:pk>/export.csv", views.patient_csv, name="csv"),
    path("patients/<int:pk>/manual/", views.manual_reading, name="manual"),
]
