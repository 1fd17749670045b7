"""A real SMTP server for tests (aiosmtpd, on 127.0.0.1, a free port, stopped after the test).

Messages the portal sends travel over SMTP through Django's SMTP backend and are parsed back as
they arrived, so a test sees exactly what a mail server would: headers, body, recipients.

    def test_x(smtp_server):
        ...send...
        message = smtp_server.wait_for_message(to="nurse@example.org")
        assert "https://" in message.body

A Celery worker in its own process reaches the same server through `smtp_server.url`
(EMAIL_URL=smtp://127.0.0.1:<port>)."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: email.message.EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def body(self) -> str:
        """The plain-text part (or the only part)."""
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
            )
            self.arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self):
        self._handler = _Handler()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self._controller = Controller(self._handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[Received]:
        with self._handler.arrived:
            return list(self._handler.received)

    def wait_for_message(self, *, to: str | None = None, timeout: float = 30.0) -> Received:
        """The first message (to `to`, if given) — waits for it to arrive, up to `timeout`."""

        def match():
            for m in self._handler.received:
                if to is None or to in m.recipients:
                    return m
            return None

        with self._handler.arrived:
            if not self._handler.arrived.wait_for(match, timeout=timeout):
                raise AssertionError(f"no message to {to or 'anyone'} within {timeout} s")
            return match()  # type: ignore[return-value]

    def start(self):
        self._controller.start()

    def stop(self):
        self._controller.stop()
