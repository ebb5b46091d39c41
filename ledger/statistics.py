"""Planner statistics for the ledger tables during long bulk jobs.

A bulk job can grow a table many times over in less time than autovacuum waits
before it looks (and autovacuum may be off). Until ANALYZE runs, PostgreSQL guesses
that a lookup of a thousand keys matches much of the table and scans all of it:
a load into a new database slowed down batch after batch. `analyze_stale` does what
autovacuum would, from the job itself: it analyzes a table once the rows changed
since its last ANALYZE outnumber the rows it had then. Bulk jobs call it before each
batch (`post_batch` does); it looks at most once a second.
"""

import time

from django.db import connection

LEDGER_TABLES = (
    "ledger_account",
    "ledger_transaction",
    "ledger_entry",
    "ledger_dailytotal",
    "ledger_outboxevent",
)

STALE = """
SELECT c.relname FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid
WHERE c.relname = ANY(%s) AND s.n_mod_since_analyze > GREATEST(c.reltuples, 0) + %s
"""


_last_look = float("-inf")


def analyze_stale(
    tables=LEDGER_TABLES, *, slack: int = 1000, min_interval: float = 1.0
) -> list[str]:
    """ANALYZE each table changed by more than its size at its last ANALYZE (plus slack);
    return their names. Does nothing within min_interval seconds of its last look."""
    global _last_look
    if connection.vendor != "postgresql" or time.monotonic() - _last_look < min_interval:
        return []
    _last_look = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(STALE, [list(tables), slack])
        stale = sorted(name for (name,) in cursor.fetchall())
        for name in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(name)}")
    return stale
