from django.urls import path

from readings.care import views, views_protocol, views_signing

app_name = "care"

urlpatterns = [
    path("roster/", views.roster, name="roster"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/badge/", views.alert_badge, name="alert_badge"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    *[
        path(
            f"alerts/<int:pk>/{action}/",
            views.alert_action,
            {"action": action},
            name=f"alert_{action}",
        )
        for action in views.ALERT_ACTIONS
    ],
    path("patients/<int:pk>/time/", views.time_add, name="time_add"),
    path("patients/<int:pk>/timer/start/", views.timer_start, name="timer_start"),
    path("patients/<int:pk>/timer/stop/", views.timer_stop, name="timer_stop"),
    path("patients/<int:pk>/thresholds/", views.thresholds, name="thresholds"),
    path("time/<int:pk>/", views.time_edit, name="time_edit"),
    path("billing/", views.billing_report, name="billing"),
    path("billing.csv", views.billing_csv, name="billing_csv"),
    path("billing/sign/", views_signing.billing_sign, name="billing_sign"),
    path(
        "billing/signed/<int:pk>/patients/<int:patient_pk>/",
        views_signing.evidence_page,
        name="billing_evidence",
    ),
    path(
        "billing/signed/<int:pk>/patients/<int:patient_pk>.csv",
        views_signing.evidence_csv,
        name="billing_evidence_csv",
    ),
]

# The alert protocol and its notices (issue 17): readings.care.views_protocol.
urlpatterns += [
    path("protocol/", views_protocol.protocol, name="protocol"),
    path("notices/", views_protocol.notices, name="notices"),
    path("notices/<int:pk>/open/", views_protocol.notice_open, name="notice_open"),
    path("notices/<int:pk>/dismiss/", views_protocol.notice_dismiss, name="notice_dismiss"),
]
