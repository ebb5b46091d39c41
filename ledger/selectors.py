"""Reads of the ledger. Never write, never lock."""

from datetime import datetime

from django.db.models import Prefetch, Sum

from ledger.models import Account, Entry, Transaction
from ledger.reference import asset_by_id


def get_account_balance(account: Account) -> int:
    """A user balance is kept on its row; a system balance is the sum of its entries."""
    if account.user_id:
        return Account.objects.values_list("balance", flat=True).get(pk=account.pk)
    return account.entries.aggregate(total=Sum("amount"))["total"] or 0


def with_entries(txn: Transaction) -> Transaction:
    """The transaction with its entries (their accounts and assets) loaded: as the
    posting engine returned it when it kept them, else read in one go."""
    if "entries" in getattr(txn, "_prefetched_objects_cache", {}):
        return txn
    return get_transaction_with_entries(txn.pk)


def get_transaction_with_entries(pk: int) -> Transaction:
    return Transaction.objects.prefetch_related(
        Prefetch("entries", queryset=Entry.objects.select_related("asset", "account"))
    ).get(pk=pk)


USER_WALLETS = """
SELECT a.*, COALESCE((
    SELECT SUM(l.remaining) FROM ledger_lot l
    WHERE l.account_id = a.id AND l.remaining > 0 AND l.expires_at <= %s
), 0) AS expiring
FROM ledger_account a WHERE a.user_id = %s
"""


def get_user_wallets(*, user_id: int, expiring_before: datetime) -> list[Account]:
    """The user's wallets ordered by asset code, each with `expiring`: what of its
    balance expires before the given moment. One query; the balance read's path."""
    wallets = list(Account.objects.raw(USER_WALLETS, [expiring_before, user_id]))
    for wallet in wallets:
        wallet.asset = asset_by_id(wallet.asset_id)
        wallet.expiring = int(wallet.expiring)  # PostgreSQL sums bigints as numeric
    return sorted(wallets, key=lambda wallet: wallet.asset.code)
