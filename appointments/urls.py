from django.urls import path

from appointments import (
    views,
    views_assistance,
    views_attachments,
    views_consults,
    views_documents,
    views_episodes,
    views_links,
    views_patients,
    views_reports,
)

app_name = "appointments"

urlpatterns = [
    path("", views.appointment_list, name="list"),
    path("schedule/<int:patient_pk>/", views.schedule, name="schedule"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/provider-link", views.provider_link, name="provider_link"),
    path("<int:pk>/solo", views.context_link, name="context_link"),
    path("<int:pk>/patient-link", views_links.patient_link, name="patient_link"),
    path("<int:pk>/patient-link/email", views_links.patient_link_email, name="patient_link_email"),
    path(
        "patients/<int:patient_pk>/email-consent",
        views_links.email_consent,
        name="email_consent",
    ),
    path("patients/<int:patient_pk>/solo", views_patients.solo_patient, name="solo_patient"),
    path("<int:pk>/reschedule", views.reschedule, name="reschedule"),
    path("<int:pk>/cancel", views.cancel, name="cancel"),
    path("<int:pk>/note", views.visit_note, name="note"),
    path("<int:pk>/attachments", views_attachments.attachment_upload, name="attachment_upload"),
    path("<int:pk>/attachments/list", views_attachments.attachment_list, name="attachment_list"),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/file",
        views_attachments.attachment_file,
        name="attachment_file",
    ),
    path(
        "<int:pk>/attachments/<int:attachment_pk>/delete",
        views_attachments.attachment_delete,
        name="attachment_delete",
    ),
    path("<int:pk>/episode", views_episodes.episode_assign, name="episode_assign"),
    path(
        "patients/<int:patient_pk>/episodes", views_episodes.episode_create, name="episode_create"
    ),
    path(
        "patients/<int:patient_pk>/episodes/list", views_episodes.episode_list, name="episode_list"
    ),
    path("episodes/<int:pk>/", views_episodes.episode_detail, name="episode_detail"),
    path("patients/<int:patient_pk>/documents", views_documents.documents, name="documents"),
    path("consults/", views_consults.consults, name="consults"),
    path("reports/", views_reports.reports, name="reports"),
    path("reports/<int:pk>/", views_reports.report_job, name="report_job"),
    path("reports/<int:pk>/download", views_reports.report_download, name="report_download"),
    path("assistance/", views_assistance.assistance, name="assistance"),
    path("assistance/current", views_assistance.assistance_current, name="assistance_current"),
    path(
        "assistance/<int:pk>/cancel", views_assistance.assistance_cancel, name="assistance_cancel"
    ),
]
