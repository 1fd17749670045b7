"""`manage.py runserver` (what `make demo` serves with) without Nagle's delay.

Django's development server writes a response's headers and its body in two send() calls. On a
kept-alive connection — a browser's, which is every page of the demo and each HTMX request it
makes — Nagle's algorithm holds the body until the browser acknowledges the headers, and the
browser delays that acknowledgement by up to 40 ms: every answer took 40-60 ms longer than the
portal took to make it. TCP_NODELAY on each accepted connection sends both parts at once, as
gunicorn (production) does. The app is listed before django.contrib.staticfiles, whose own
`runserver` (static files served) this one extends: the first app naming a command wins.
The test suite's live server uses the same mixin (tests/conftest.py)."""

import socket


class NoDelayMixin:
    """For a socketserver TCP server: TCP_NODELAY on every connection it accepts."""

    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address
