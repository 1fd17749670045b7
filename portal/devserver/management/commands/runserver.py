from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserver
from django.core.servers.basehttp import WSGIServer

from portal.devserver import NoDelayMixin


class NoDelayWSGIServer(NoDelayMixin, WSGIServer):
    pass


class Command(StaticRunserver):
    server_cls = NoDelayWSGIServer
