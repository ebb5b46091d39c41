"""The connection pool's check of each connection it hands out, without a round trip.

psycopg_pool's own check sends an empty query for every connection a request takes:
one round trip to PostgreSQL per request, answered by a live server every time. A
connection the server dropped while it sat idle in the pool (a restart, a failover,
`pg_terminate_backend`) has something to read: the server's last error message and
the end of the stream. A healthy idle connection has nothing to say. So the socket
is polled (no wait), and only a readable one gets the full check, which fails on a
dropped connection and makes the pool open a fresh one.

Not covered, as with the full check: a server that vanished without closing the
connection (a partition). The request's first statement then fails, and
core.api.middleware answers it (a read retried, a write 503 with Retry-After).
"""

import select

import psycopg
from psycopg_pool import ConnectionPool


def check_pooled_connection(conn: psycopg.Connection) -> None:
    """Raise if the server closed `conn` while it was idle (the pool then drops it)."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    readable, _, _ = select.select([conn.fileno()], [], [], 0)
    if readable:  # the server spoke unasked: most likely it is closing
        ConnectionPool.check_connection(conn)
