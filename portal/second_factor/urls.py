from django.urls import path

from portal.second_factor import views

app_name = "second_factor"

urlpatterns = [
    path("accounts/verify/", views.verify, name="verify"),
    path("accounts/security/", views.security, name="security"),
    path("accounts/security/app/", views.app_setup, name="app_setup"),
    path("accounts/security/backup-codes/", views.backup_codes, name="backup_codes"),
    path(
        "accounts/security/<slug:kind>/<int:pk>/remove/",
        views.device_remove,
        name="device_remove",
    ),
    path("organization/security/", views.organization_security, name="organization"),
    path(
        "organization/security/staff/<int:user_id>/reset/",
        views.member_reset,
        name="member_reset",
    ),
]
