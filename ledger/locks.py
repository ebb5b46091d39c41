"""Row locks, always taken in one global order so that concurrent postings never deadlock.

Order: the idempotency key (advisory lock), then user accounts by primary key, then
holds or the transaction being reversed. System accounts are never locked.
"""

from collections.abc import Iterable

from django.db import connection

from ledger.models import Account, Asset


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
    locked = {
        account.pk: account
        for account in Account.objects.filter(pk__in=ids, user__isnull=False)
        .order_by("pk")
        .select_for_update(no_key=True)
    }
    # One Asset object per asset, not one per account as select_related would build.
    assets = Asset.objects.in_bulk({account.asset_id for account in locked.values()})
    for account in locked.values():
        account.asset = assets[account.asset_id]
    return locked
