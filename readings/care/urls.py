from django.urls import path

from readings.care import views, views_program_report, views_signing, views_worklists

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
    path("worklists/", views_worklists.worklists, name="worklists"),
    path("worklists/nav/", views_worklists.worklist_nav, name="worklist_nav"),
    path("worklists/<slug:slug>/", views_worklists.worklist, name="worklist"),
    path("patients/<int:pk>/outreach/", views_worklists.outreach_log, name="outreach_log"),
    path("reports/program/", views_program_report.program_report_page, name="program_report"),
    path("reports/program.csv", views_program_report.program_report_csv, name="program_report_csv"),
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
