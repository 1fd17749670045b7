from django.urls import path

from appointments import webhooks

urlpatterns = [
    path("solo/<uuid:receiver_id>", webhooks.solo_webhook, name="solo-webhook"),
]
