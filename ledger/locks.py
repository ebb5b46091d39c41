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


LOCK_FOR_POSTING = """
SELECT id, asset_id, balance, held, status FROM ledger_account
WHERE id = ANY(%s) AND user_id IS NOT NULL ORDER BY id FOR NO KEY UPDATE
"""


def lock_for_posting(account_ids: Iterable[int]) -> dict[int, LockedAccount]:
    """The posting engine's lock: as lock_user_accounts (same order and mode), but one
    array parameter and plain rows, since a batch locks thousands of accounts and
    building a model instance for each costs more than the lock itself."""
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(LOCK_FOR_POSTING, [ids])
            rows = cursor.fetchall()
    else:  # SQLite serialises writers already (BEGIN IMMEDIATE)
        rows = list(
            Account.objects.filter(pk__in=ids, user__isnull=False).values_list(
                "id", "asset_id", "balance", "held", "status"
            )
        )
    return {
        pk: LockedAccount(pk, asset_by_id(asset_id), balance, held, status)
        for pk, asset_id, balance, held, status in rows
    }
