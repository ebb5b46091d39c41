"""Reads of the ledger. Never write, never lock."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, Sum
from django.utils import timezone

from ledger.models import Account, Entry, Lot, Transaction


def get_account_balance(account: Account) -> int:
    """A user balance is kept on its row; a system balance is the sum of its entries."""
    if account.user_id:
        return Account.objects.values_list("balance", flat=True).get(pk=account.pk)
    return account.entries.aggregate(total=Sum("amount"))["total"] or 0


def get_expiring_by_account(*, user, within: timedelta, now: datetime | None = None) -> dict:
    """Per wallet of the user (account id -> minor units): what expires before now + within."""
    now = now or timezone.now()
    due = Lot.objects.filter(account__user=user, remaining__gt=0, expires_at__lte=now + within)
    return dict(
        due.values("account_id").annotate(total=Sum("remaining")).values_list("account_id", "total")
    )


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
