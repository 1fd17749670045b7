"""The SMTP test server really receives what Django's SMTP backend sends (tests/smtp.py)."""

import pytest
from django.core.mail import send_mail


def test_a_message_sent_through_django_arrives_at_the_local_smtp_server(smtp_server):
    send_mail("Visit link", "Your visit starts at 10:00.", None, ["pat@example.org"])
    message = smtp_server.wait_for_message(to="pat@example.org", timeout=10)
    assert message.subject == "Visit link"
    assert message.body.strip() == "Your visit starts at 10:00."
    assert message.message["From"] == "Vitals Portal <no-reply@localhost>"


def test_waiting_for_a_message_that_never_comes_fails(smtp_server):
    with pytest.raises(AssertionError, match=r"no message to nobody@example\.org"):
        smtp_server.wait_for_message(to="nobody@example.org", timeout=0.2)
