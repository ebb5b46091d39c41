"""Row locks, always taken in one global order so that concurrent postings never deadlock.

Order: the idempotency key (advisory lock), then user accounts by primary key, then
holds or the transaction being reversed. System accounts are never locked.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from ledger.models import Account, Asset
from ledger.reference import asset_by_id


def lock_idempotency_key(key: str) -> None:
    """Serialise requests carrying the same key until the first one commits.

    A transaction-scoped advisory lock on a hash of the key: concurrent first
    uses of one key wait here instead of racing to the unique constraint. SQLite
    needs none: its writers are serialised by BEGIN IMMEDIATE.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


def lock_user_accounts(account_ids: Iterable[int]) -> dict[int, Account]:
    """Lock the given user accounts in primary-key order, in one query, and return them fresh.

    FOR NO KEY UPDATE: entries inserted by other transactions only take KEY SHARE
    locks through their foreign key, which this mode does not block.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    rows = (
        Account.objects.select_related("asset")
        .filter(pk__in=ids, user__isnull=False)
        .order_by("pk")
        .select_for_update(no_key=True, of=("self",))
    )
    return {account.pk: account for account in rows}


@dataclass(slots=True)
class LockedAccount:
    """What the posting engine reads and changes of a locked user account."""

    pk: int
    asset: Asset
    balance: int
    held: int
    status: str

    @property
    def available(self) -> int:
        return self.balance - self.held


# The lock, and the ids of the transactions and entries to write, in one round trip.
# The ids' subqueries read `rows.n`, which exists only once every row is locked, so
# they are taken under the locks: a wallet's entries get ids in the order its postings
# commit, which reconcile's balance-after chain and the outbox's per-wallet order rely
# on. (Taken before the lock, a spend waiting on it would get a smaller id than the
# one committing ahead of it.)
LOCK_AND_ALLOCATE = """
WITH locked AS (
    SELECT id, asset_id, balance, held, status FROM ledger_account
    WHERE id = ANY(%s) AND user_id IS NOT NULL ORDER BY id FOR NO KEY UPDATE
), rows AS (
    SELECT count(*) AS n, array_agg(id) AS ids, array_agg(asset_id) AS assets,
           array_agg(balance) AS balances, array_agg(held) AS held,
           array_agg(status) AS statuses
    FROM locked
)
SELECT ids, assets, balances, held, statuses,
       ARRAY(SELECT nextval('ledger_transaction_id_seq') FROM generate_series(1, %s)
             WHERE rows.n >= 0),
       ARRAY(SELECT nextval('ledger_entry_id_seq') FROM generate_series(1, %s)
             WHERE rows.n >= 0)
FROM rows
"""


@dataclass(slots=True)
class Ids:
    """Primary keys taken from the sequences under the posting's locks, ascending."""

    transactions: list[int]
    entries: list[int]


def lock_for_posting(
    account_ids: Iterable[int], *, ids_for: tuple[int, int]
) -> tuple[dict[int, LockedAccount], Ids | None]:
    """The posting engine's lock: as lock_user_accounts (same order and mode), but one
    array parameter and plain rows, since a batch locks thousands of accounts and
    building a model instance for each costs more than the lock itself.

    On PostgreSQL the same statement takes `ids_for` (transactions, entries) ids once
    the locks are held: no round trip of their own inside the lock's hold. Postings
    refused after the lock leave their ids unused (sequences have gaps anyway). Ids is
    None when no statement ran or on SQLite.
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}, None
    taken = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(LOCK_AND_ALLOCATE, [ids, *ids_for])
            *columns, txn_ids, entry_ids = cursor.fetchone()
        rows = list(zip(*columns, strict=True)) if columns[0] else []  # NULL: none
        taken = Ids(txn_ids, entry_ids)
    else:  # SQLite serialises writers already (BEGIN IMMEDIATE)
        rows = list(
            Account.objects.filter(pk__in=ids, user__isnull=False).values_list(
                "id", "asset_id", "balance", "held", "status"
            )
        )
    locked = {
        pk: LockedAccount(pk, asset_by_id(asset_id), balance, held, status)
        for pk, asset_id, balance, held, status in rows
    }
    return locked, taken
