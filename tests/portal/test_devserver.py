"""`manage.py runserver` (make demo) answers without Nagle's delay (portal/devserver)."""

import socket

from django.core.management import get_commands, load_command_class
from django.core.servers.basehttp import WSGIRequestHandler


def test_runserver_is_the_portals_and_serves_static_files_too():
    command = load_command_class(get_commands()["runserver"], "runserver")
    assert get_commands()["runserver"] == "portal.devserver"
    # staticfiles' runserver underneath: `make demo` still serves /static/ without a proxy
    assert "--nostatic" in command.create_parser("manage.py", "runserver").format_help()


def test_each_accepted_connection_sends_without_waiting_for_an_acknowledgement():
    command = load_command_class(get_commands()["runserver"], "runserver")
    server = command.server_cls(("127.0.0.1", 0), WSGIRequestHandler)
    try:
        with socket.create_connection(server.server_address, timeout=5):
            accepted, _ = server.get_request()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        server.server_close()
