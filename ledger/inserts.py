"""The posting engine's writes: a batch's rows in one statement.

The primary keys of a batch's transactions and entries are taken first (from their
sequences on PostgreSQL, by the statement that locks the batch's wallets when it has
any, else in a query of their own), so that every row can be built in memory.
Then one statement writes them all: the transactions, their entries, the locked
accounts' new balances, the daily totals and the outbox events. On PostgreSQL that is
one data-modifying WITH over arrays, one round trip whatever the batch's size (the
arrays sent in binary, see `binary_cursor`); on the embedded SQLite, a few plain
statements.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper
from psycopg.types.json import Jsonb

from ledger.locks import Ids
from ledger.models import Account, Entry, OutboxEvent, Transaction


@dataclass(slots=True)
class NewEntry:
    """An entry about to be written; its primary key is set by `allocate_ids`."""

    transaction: Transaction
    account_id: int
    asset_id: int
    amount: int
    balance_after: int | None
    pk: int | None = None


# (account id, asset id, day, transaction type, credited, debited, entries)
DailyTotal = tuple[int, int, date, str, int, int, int]
# (topic, payload, created_at, event id, version, partition): ledger.outbox.outbox_row
Event = tuple[str, dict, datetime, UUID, int, int]

ALLOCATE_IDS = """
SELECT ARRAY(SELECT nextval('ledger_transaction_id_seq') FROM generate_series(1, %s)),
       ARRAY(SELECT nextval('ledger_entry_id_seq') FROM generate_series(1, %s))
"""
NEXT_IDS = """
SELECT (SELECT COALESCE(MAX(id), 0) FROM ledger_transaction),
       (SELECT COALESCE(MAX(id), 0) FROM ledger_entry)
"""


def allocate_ids(
    txns: list[Transaction], entries: list[NewEntry], taken: Ids | None = None
) -> None:
    """Give the transactions and entries their primary keys before anything is written:
    the first of `taken` (ids the lock statement took, ledger.locks) when given, else
    from the sequences. SQLite has no sequences; its writers are serialised (BEGIN
    IMMEDIATE), so the next ids after the largest are this transaction's to take."""
    txn_ids: Sequence[int]
    entry_ids: Sequence[int]
    if taken is not None:
        txn_ids, entry_ids = taken.transactions[: len(txns)], taken.entries[: len(entries)]
    else:
        txn_ids, entry_ids = _next_ids(len(txns), len(entries))
    for txn, pk in zip(txns, txn_ids, strict=True):
        txn.pk = pk
    for entry, pk in zip(entries, entry_ids, strict=True):
        entry.pk = pk


def _next_ids(txns: int, entries: int) -> tuple[Sequence[int], Sequence[int]]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(ALLOCATE_IDS, [txns, entries])
            return cursor.fetchone()
        cursor.execute(NEXT_IDS)
        last_txn, last_entry = cursor.fetchone()
    return range(last_txn + 1, last_txn + 1 + txns), range(last_entry + 1, last_entry + 1 + entries)


DAILY_TOTALS_ON_CONFLICT = """
ON CONFLICT (account_id, day, type) DO UPDATE SET
    credited = ledger_dailytotal.credited + EXCLUDED.credited,
    debited = ledger_dailytotal.debited + EXCLUDED.debited,
    entries = ledger_dailytotal.entries + EXCLUDED.entries
"""
WRITE = (
    """
WITH transactions AS (
    INSERT INTO ledger_transaction (id, type, idempotency_key, reference, description,
                                    metadata, initiated_by_id, reverses_id, created_at)
    SELECT * FROM unnest(%b::bigint[], %b::varchar[], %b::varchar[], %b::varchar[],
                         %b::text[], %b::jsonb[], %b::bigint[], %b::bigint[],
                         %b::timestamptz[])
), entries AS (
    INSERT INTO ledger_entry (id, transaction_id, account_id, asset_id, amount,
                              balance_after, created_at)
    SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::bigint[], %b::bigint[],
                         %b::bigint[], %b::bigint[], %b::timestamptz[])
), balances AS (
    UPDATE ledger_account SET balance = new.balance
    FROM unnest(%b::bigint[], %b::bigint[]) AS new(id, balance)
    WHERE ledger_account.id = new.id
), daily_totals AS (
    INSERT INTO ledger_dailytotal (account_id, asset_id, day, type, credited, debited,
                                   entries)
    SELECT * FROM unnest(%b::bigint[], %b::bigint[], %b::date[], %b::varchar[],
                         %b::bigint[], %b::bigint[], %b::integer[])
    """
    + DAILY_TOTALS_ON_CONFLICT
    + """
)
INSERT INTO ledger_outboxevent (topic, payload, created_at, event_id, version, partition,
                                attempts)
SELECT *, 0 FROM unnest(%b::varchar[], %b::jsonb[], %b::timestamptz[], %b::uuid[],
                        %b::smallint[], %b::smallint[])
"""
)


def write_postings(
    txns: list[Transaction],
    entries: list[NewEntry],
    *,
    balances: dict[int, int],
    daily_totals: list[DailyTotal],
    events: list[Event],
) -> None:
    """Write a batch whose ids `allocate_ids` gave: its transactions and entries, the
    new balances (account id -> balance), the daily totals to add and the events."""
    if connection.vendor != "postgresql":
        _write_one_by_one(txns, entries, balances, daily_totals, events)
        return
    rows = [
        *_columns(
            [
                (
                    t.pk,
                    t.type,
                    t.idempotency_key,
                    t.reference,
                    t.description,
                    Jsonb(t.metadata),
                    t.initiated_by_id,
                    t.reverses_id,
                    t.created_at,
                )
                for t in txns
            ],
            9,
        ),
        *_columns(
            [
                (
                    e.pk,
                    e.transaction.pk,
                    e.account_id,
                    e.asset_id,
                    e.amount,
                    e.balance_after,
                    e.transaction.created_at,
                )
                for e in entries
            ],
            7,
        ),
        list(balances),
        list(balances.values()),
        *_columns(daily_totals, 7),
        *_columns([(topic, Jsonb(payload), *rest) for topic, payload, *rest in events], 6),
    ]
    with binary_cursor() as cursor:
        cursor.execute(WRITE, rows)
    for txn in txns:
        txn._state.adding = False  # saved, as bulk_create would mark it


def binary_cursor() -> CursorWrapper:
    """A Django cursor whose parameters travel in PostgreSQL's binary format (`%b`).

    Django's cursors bind parameters client-side, as text, where psycopg quotes every
    element of an array in Python: for a batch of 1,000 postings that is most of the
    write's CPU. Binary arrays are dumped element by element without quoting, several
    times faster. The wrapper is Django's own, so errors are Django's and
    execute_wrappers and query logging see the statement.
    """
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw: Any = psycopg.Cursor(connection.connection)  # the stubs expect a wrapper here
    # Wrapped as connection.cursor() wraps its own: logged when queries are captured.
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


def _columns(rows: list[tuple], width: int) -> list[list]:
    """Rows to columns, one array parameter each (`width` keeps an empty batch's)."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


DAILY_TOTALS_VALUES = (
    "INSERT INTO ledger_dailytotal (account_id, asset_id, day, type, credited, debited, entries)"
    " VALUES {rows}" + DAILY_TOTALS_ON_CONFLICT
)


def _write_one_by_one(
    txns: list[Transaction],
    entries: list[NewEntry],
    balances: dict[int, int],
    daily_totals: list[DailyTotal],
    events: list[Event],
) -> None:
    """SQLite: Django's bulk statements, and the daily totals as one VALUES list."""
    Transaction.objects.bulk_create(txns)
    Entry.objects.bulk_create(
        [
            Entry(
                pk=entry.pk,
                transaction=entry.transaction,
                account_id=entry.account_id,
                asset_id=entry.asset_id,
                amount=entry.amount,
                balance_after=entry.balance_after,
                created_at=entry.transaction.created_at,
            )
            for entry in entries
        ]
    )
    Account.objects.bulk_update(
        [Account(pk=pk, balance=balance) for pk, balance in balances.items()], ["balance"]
    )
    if daily_totals:
        values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(daily_totals))
        with connection.cursor() as cursor:
            cursor.execute(
                DAILY_TOTALS_VALUES.format(rows=values), [v for row in daily_totals for v in row]
            )
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                topic=topic,
                payload=payload,
                created_at=at,
                event_id=event_id,
                version=version,
                partition=partition,
            )
            for topic, payload, at, event_id, version, partition in events
        ]
    )
