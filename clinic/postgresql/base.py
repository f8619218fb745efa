"""Django's PostgreSQL backend, with the persistent connection's health check made cheap.

With ``CONN_HEALTH_CHECKS`` Django checks a reused connection at the start of every request by
sending ``SELECT 1`` and waiting for the answer: a round trip per request, about a twentieth of
a wizard page's work. Here the check first asks the operating system whether the idle
connection's socket has anything to read. An idle connection receives nothing unless the server
ended it (a restart, ``pg_terminate_backend``, an idle timeout: the server sends its FATAL
message and closes) or sent a notice; only then is ``SELECT 1`` sent, and a connection that
fails it is replaced before the request uses it, as before. A connection lost without a word
from the server (a cable pulled) passes the check either way until its first query fails, which
the request answers with 503 (``screening.views.core``) and after which Django closes it.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_unusable_or_obsolete(self):
        """After a statement failed with an error that may leave the connection's state wrong,
        start the next request on a new connection rather than check this one.

        Django checks such a connection with ``is_usable`` and keeps it when it answers. A
        connection whose prepared statements went stale (a migration changed the type of a
        column they return: "cached plan must not change result type") answers, yet fails that
        statement on every later request until it is closed. Integrity and data errors (a
        duplicate, a bad value) do not count: Django does not flag them."""
        if self.connection is not None and self.errors_occurred:
            self.close()
            return
        super().close_if_unusable_or_obsolete()

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            # Not the idle connection of a finished request (after an error, say): ask.
            return super().is_usable()
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN)
            quiet = not poller.poll(0)
        except (OSError, ValueError):
            quiet = False
        # The server said something (or the socket could not be asked): ask the server.
        return quiet or super().is_usable()
