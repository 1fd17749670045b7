from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from portal import profile, views
from portal.api_helpers import json_error_view
from readings.care import patient_page, views_enrol

patient_urls = (
    [
        path("", views.patient_list, name="list"),
        # The page that composes every app's panel is care's (the top of the dependency graph).
        path("<int:pk>/", patient_page.patient_detail, name="detail"),
        # Enrolment reaches every app (vendor ids, program rules, devices): care's views.
        path("enrol/", views_enrol.patient_enrol, name="enrol"),
        path("enrol/diagnoses/", views_enrol.diagnosis_search, name="enrol_diagnoses"),
        path("enrol/diagnoses/pick/", views_enrol.diagnosis_pick, name="enrol_diagnosis_pick"),
        path("<int:pk>/link-vendors/", views_enrol.vendors_link, name="link_vendors"),
        path("<int:pk>/discharge/", views_enrol.discharge, name="discharge"),
        path("<int:pk>/reenrol/", views_enrol.reenrol, name="reenrol"),
    ],
    "patients",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    # Vendor webhooks first: resolving a path tries the patterns in order, and a vendor's
    # deliveries are the most frequent requests (before, each tried ~50 portal patterns).
    path("webhooks/", include("appointments.webhook_urls")),
    path("webhooks/", include("devices.webhook_urls")),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/profile/", profile.profile, name="profile"),
    path("", include("portal.second_factor.urls")),
    path("accounts/passkeys/", include("portal.second_factor.passkey_urls")),
    path("patients/", include(patient_urls)),
    path("staff/", include("portal.staff_urls")),
    path("devices/", include("devices.urls")),
    path("readings/", include("readings.urls")),
    path("", include("readings.care.urls")),
    path("appointments/", include("appointments.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api")),
    path("api/v1/", include("devices.api")),
    path("api/v1/", include("readings.api")),
    path("api/v1/", include("readings.care.api")),
    path("api/v1/", include("readings.care.api_alerts")),
    path("api/v1/", include("readings.care.api_signing")),
    path("api/v1/", include("readings.care.api_thresholds")),
    path("api/v1/", include("appointments.api")),
    # The schema and docs describe the API, not patients: public, so integrators can read them.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "api/docs/",
        # The split view serves its script as a file, so the page works under CSP script-src 'self'.
        SpectacularSwaggerSplitView.as_view(
            url_name="schema", permission_classes=[AllowAny], authentication_classes=[]
        ),
        name="api-docs",
    ),
    path("api/<path:rest>", json_error_view(404, "No such API endpoint.")),
]

if settings.PORTAL_SANDBOX:
    urlpatterns.append(path("sandbox/", include("portal.sandbox.urls")))

handler404 = "portal.errors.page_not_found"
handler403 = "portal.errors.permission_denied"
handler500 = "portal.errors.server_error"
handler400 = "portal.errors.bad_request"
