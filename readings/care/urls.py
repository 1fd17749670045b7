from django.urls import path

from readings.care import (
    medication_views,
    views,
    views_alerts,
    views_program_report,
    views_protocol,
    views_signing,
    views_summary,
    views_worklists,
)

app_name = "care"

urlpatterns = [
    path("roster/", views.roster, name="roster"),
    path("alerts/", views_alerts.alerts, name="alerts"),
    path("alerts/badge/", views_alerts.alert_badge, name="alert_badge"),
    path("alerts/bulk/", views_alerts.alerts_bulk, name="alerts_bulk"),
    path("alerts/<int:pk>/", views_alerts.alert_detail, name="alert"),
    *[
        path(
            f"alerts/<int:pk>/{action}/",
            views_alerts.alert_action,
            {"action": action},
            name=f"alert_{action}",
        )
        for action in views_alerts.ALERT_ACTIONS
    ],
    path("patients/<int:pk>/time/", views.time_add, name="time_add"),
    path("patients/<int:pk>/timer/start/", views.timer_start, name="timer_start"),
    path("patients/<int:pk>/timer/stop/", views.timer_stop, name="timer_stop"),
    path("patients/<int:pk>/thresholds/", views.thresholds, name="thresholds"),
    path("patients/<int:pk>/summary/", views_summary.patient_summary, name="patient_summary"),
    path(
        "patients/<int:pk>/summary.pdf",
        views_summary.patient_summary_pdf,
        name="patient_summary_pdf",
    ),
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

# The alert protocol and its notices (issue 17): readings.care.views_protocol.
urlpatterns += [
    path("protocol/", views_protocol.protocol, name="protocol"),
    path("notices/", views_protocol.notices, name="notices"),
    path("notices/<int:pk>/open/", views_protocol.notice_open, name="notice_open"),
    path("notices/<int:pk>/dismiss/", views_protocol.notice_dismiss, name="notice_dismiss"),
]

# The patient page's medication list (issue 18): readings.care.medication_views.
urlpatterns += [
    path("patients/<int:pk>/medications/", medication_views.medications, name="medications"),
    path("medications/<int:pk>/", medication_views.medication_edit, name="medication_edit"),
    path(
        "medications/<int:pk>/stop/",
        medication_views.medication_stop_view,
        name="medication_stop",
    ),
]
