"""Reads of the ledger. Never write, never lock."""

from datetime import datetime

from django.db.models import Prefetch, QuerySet, Sum

from ledger.models import Account, Asset, ConversionRate, Entry, Hold, Transaction
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


def list_user_accounts(*, user_id: int) -> QuerySet[Account]:
    """The user's wallets with their assets, ordered by asset code (no expiring amounts:
    see get_user_wallets for the balance read)."""
    return Account.objects.select_related("asset").filter(user_id=user_id).order_by("asset__code")


def list_active_assets() -> QuerySet[Asset]:
    return Asset.objects.filter(active=True).order_by("code")


def list_active_conversions() -> QuerySet[ConversionRate]:
    """The rates clients may convert at: active, between active assets."""
    return ConversionRate.objects.filter(
        active=True, from_asset__active=True, to_asset__active=True
    ).select_related("from_asset", "to_asset")


def get_hold(*, hold_id: int) -> Hold | None:
    """The hold with its account and the account's asset; None when there is none."""
    return Hold.objects.select_related("account__asset").filter(pk=hold_id).first()
