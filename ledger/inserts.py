"""Batch writes for the posting engine.

On PostgreSQL the primary keys of a batch's transactions and entries are taken from
their sequences in one query, and the rows go in with binary COPY: psycopg encodes
them in C, where building one INSERT of a thousand rows costs more Python time than
the server spends storing them. Elsewhere (the embedded SQLite) it is Django's
bulk_create.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from psycopg.types.json import Jsonb

from ledger.models import Account, Entry, OutboxEvent, Transaction


@dataclass(slots=True)
class NewEntry:
    """An entry about to be written; its primary key is set by `insert_postings`."""

    transaction: Transaction
    account_id: int
    asset_id: int
    amount: int
    balance_after: int | None
    pk: int | None = None


# The identity columns' sequences, as PostgreSQL names them.
ALLOCATE_IDS = """
SELECT ARRAY(SELECT nextval('ledger_transaction_id_seq') FROM generate_series(1, %s)),
       ARRAY(SELECT nextval('ledger_entry_id_seq') FROM generate_series(1, %s))
"""
COPY_TRANSACTIONS = (
    "COPY ledger_transaction (id, type, idempotency_key, reference, description, metadata, "
    "initiated_by_id, reverses_id, created_at) FROM STDIN (FORMAT BINARY)"
)
TRANSACTION_TYPES = ["int8", "text", "text", "text", "text", "jsonb", "int8", "int8", "timestamptz"]
COPY_ENTRIES = (
    "COPY ledger_entry (id, transaction_id, account_id, asset_id, amount, balance_after, "
    "created_at) FROM STDIN (FORMAT BINARY)"
)
ENTRY_TYPES = ["int8", "int8", "int8", "int8", "int8", "int8", "timestamptz"]
COPY_EVENTS = (
    "COPY ledger_outboxevent (topic, payload, created_at, attempts) FROM STDIN (FORMAT BINARY)"
)
EVENT_TYPES = ["text", "jsonb", "timestamptz", "int4"]


def insert_postings(txns: list[Transaction], entries: list[NewEntry]) -> None:
    """Insert the transactions and their entries, giving each its primary key."""
    if connection.vendor != "postgresql":
        _bulk_create_postings(txns, entries)
        return
    with connection.cursor() as cursor:
        cursor.execute(ALLOCATE_IDS, [len(txns), len(entries)])
        txn_ids, entry_ids = cursor.fetchone()
        for txn, pk in zip(txns, txn_ids, strict=True):
            txn.pk = pk
            txn._state.adding = False
        with cursor.copy(COPY_TRANSACTIONS) as copy:
            copy.set_types(TRANSACTION_TYPES)
            for t in txns:
                copy.write_row(
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
                )
        with cursor.copy(COPY_ENTRIES) as copy:
            copy.set_types(ENTRY_TYPES)
            for entry, pk in zip(entries, entry_ids, strict=True):
                entry.pk = pk
                copy.write_row(
                    (
                        pk,
                        entry.transaction.pk,
                        entry.account_id,
                        entry.asset_id,
                        entry.amount,
                        entry.balance_after,
                        entry.transaction.created_at,
                    )
                )


def _bulk_create_postings(txns: list[Transaction], entries: list[NewEntry]) -> None:
    Transaction.objects.bulk_create(txns)
    rows = Entry.objects.bulk_create(
        [
            Entry(
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
    for entry, row in zip(entries, rows, strict=True):
        entry.pk = row.pk


def insert_events(events: list[tuple[str, dict, datetime]]) -> None:
    """Insert outbox events given as (topic, payload, created_at)."""
    if connection.vendor != "postgresql":
        OutboxEvent.objects.bulk_create(
            [
                OutboxEvent(topic=topic, payload=payload, created_at=at)
                for topic, payload, at in events
            ]
        )
        return
    with connection.cursor() as cursor, cursor.copy(COPY_EVENTS) as copy:
        copy.set_types(EVENT_TYPES)
        for topic, payload, created_at in events:
            copy.write_row((topic, Jsonb(payload), created_at, 0))


BALANCES = """
UPDATE ledger_account SET balance = new.balance
FROM unnest(%s::bigint[], %s::bigint[]) AS new(id, balance)
WHERE ledger_account.id = new.id
"""


def update_balances(balances: dict[int, int]) -> None:
    """Write the locked accounts' new balances (account id -> balance) in one statement."""
    if connection.vendor != "postgresql":
        Account.objects.bulk_update(
            [Account(pk=pk, balance=balance) for pk, balance in balances.items()], ["balance"]
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(BALANCES, [list(balances), list(balances.values())])
