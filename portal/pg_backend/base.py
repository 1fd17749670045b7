"""Django's PostgreSQL backend, with a cheaper per-request connection health check.

CONN_HEALTH_CHECKS makes Django send `SELECT 1` before the first query of every request: one
of the eight round trips an ingestion request used to make (issue 19). A server that went away
in an orderly way (a restart, a failover, pg_terminate_backend, an idle timeout) closes the
socket and usually sends a FATAL error first, so a connection that sits idle between requests
with nothing to read is as usable as `SELECT 1` would find it; one with anything to read (the
FATAL message, the end of the stream, a notice) gets Django's real check. A silently dead peer
(a cable pulled) fails `SELECT 1` only after a TCP timeout anyway, so nothing is lost there."""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._idle_and_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _idle_and_quiet(self) -> bool:
        """Outside a transaction, not closed, and nothing waiting on the socket."""
        connection = self.connection
        try:
            if connection.closed or connection.info.transaction_status != 0:  # 0: IDLE
                return False
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
            return not poller.poll(0)
        except Exception:  # anything odd: let Django's own check decide
            return False
