"""Batch inserts for the posting engine.

On PostgreSQL each table gets one `INSERT ... SELECT FROM unnest(arrays)`: the
statement is the same for 1 or 1,000 rows and costs the server one plan, where
compiling Django's bulk_create costs more Python time than the insert itself.
Elsewhere (the embedded SQLite) it is Django's bulk_create.
"""

import json

from django.db import connection

from ledger.models import Account, Entry, OutboxEvent, Transaction

TRANSACTIONS = """
INSERT INTO ledger_transaction
    (type, idempotency_key, reference, description, metadata, initiated_by_id, reverses_id,
     created_at)
SELECT type, idempotency_key, reference, description, metadata::jsonb, initiated_by_id,
       reverses_id, created_at
FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::varchar[], %s::text[],
            %s::bigint[], %s::bigint[], %s::timestamptz[])
    AS t(type, idempotency_key, reference, description, metadata, initiated_by_id, reverses_id,
         created_at)
RETURNING id
"""

ENTRIES = """
INSERT INTO ledger_entry (transaction_id, account_id, asset_id, amount, balance_after, created_at)
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
                     %s::timestamptz[])
RETURNING id
"""

EVENTS = """
INSERT INTO ledger_outboxevent (topic, payload, created_at, attempts)
SELECT topic, payload::jsonb, created_at, 0
FROM unnest(%s::varchar[], %s::text[], %s::timestamptz[]) AS t(topic, payload, created_at)
"""


def insert_transactions(txns: list[Transaction]) -> None:
    """Insert and give each its primary key."""
    if connection.vendor != "postgresql":
        Transaction.objects.bulk_create(txns)
        return
    columns = [
        [t.type for t in txns],
        [t.idempotency_key for t in txns],
        [t.reference for t in txns],
        [t.description for t in txns],
        [json.dumps(t.metadata) for t in txns],
        [t.initiated_by_id for t in txns],
        [t.reverses_id for t in txns],
        [t.created_at for t in txns],
    ]
    for txn, pk in zip(txns, _returning_ids(TRANSACTIONS, columns), strict=True):
        txn.pk = pk
        txn._state.adding = False


def insert_entries(entries: list[Entry]) -> None:
    if connection.vendor != "postgresql":
        Entry.objects.bulk_create(entries)
        return
    columns = [
        [e.transaction_id for e in entries],
        [e.account_id for e in entries],
        [e.asset_id for e in entries],
        [e.amount for e in entries],
        [e.balance_after for e in entries],
        [e.created_at for e in entries],
    ]
    for entry, pk in zip(entries, _returning_ids(ENTRIES, columns), strict=True):
        entry.pk = pk
        entry._state.adding = False


def insert_events(events: list[OutboxEvent]) -> None:
    if connection.vendor != "postgresql":
        OutboxEvent.objects.bulk_create(events)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            EVENTS,
            [
                [e.topic for e in events],
                [json.dumps(e.payload) for e in events],
                [e.created_at for e in events],
            ],
        )


BALANCES = """
UPDATE ledger_account SET balance = new.balance
FROM unnest(%s::bigint[], %s::bigint[]) AS new(id, balance)
WHERE ledger_account.id = new.id
"""


def update_balances(accounts: list[Account]) -> None:
    """Write the locked accounts' new balances in one statement."""
    if connection.vendor != "postgresql":
        Account.objects.bulk_update(accounts, ["balance"])
        return
    with connection.cursor() as cursor:
        cursor.execute(BALANCES, [[a.pk for a in accounts], [a.balance for a in accounts]])


def _returning_ids(sql: str, columns: list[list]) -> list[int]:
    # PostgreSQL returns the rows of INSERT ... SELECT FROM unnest in input order (Django's
    # own bulk_create relies on the same).
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        return [row[0] for row in cursor.fetchall()]
