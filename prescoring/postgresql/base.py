"""Django's PostgreSQL backend (psycopg 3), with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django checks a persistent connection before the first query of every
request and of every task, by running SELECT 1: one round trip to the server and a statement for it
to parse, on every request. An idle connection the server has ended (a restart, a failover,
pg_terminate_backend) has something to read on its socket: the server's goodbye, or the end of the
stream. So an idle connection whose socket has nothing to read is usable; one with something to
read, or in a transaction, gets Django's SELECT 1, which tells for sure.
"""
import select

from django.db.backends.postgresql import base
import psycopg
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        if connection.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([connection.pgconn.socket], [], [], 0)
        except (OSError, ValueError, psycopg.Error):
            return False
        return super().is_usable() if readable else True
