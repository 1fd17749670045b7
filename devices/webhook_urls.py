from django.urls import path

from devices import webhooks

urlpatterns = [
    path("impilo/<uuid:receiver_id>", webhooks.impilo_webhook, name="impilo-webhook"),
]
