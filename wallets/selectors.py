"""Reads of wallets. Never write, never lock."""

from django.db import connection
from django.db.models import Func, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from ledger.models import Account, Entry, Transaction
from ledger.reference import asset_by_id


def list_history(
    *,
    owner: User,
    entries: QuerySet[Entry],
    limit: int,
    before: int | None = None,
    after: int | None = None,
) -> list[Transaction]:
    """The owner's transactions that have one of `entries` on an account of theirs.

    Newest first below transaction id `before` or, given `after`, oldest first above
    it; at most `limit`, each once (a convert touches two of the owner's accounts),
    with all the owner's entries of it in `owner_entries`. Two statements, whatever the
    ledger's size or the owner's share of it.
    """
    if before is not None and after is not None:
        raise ValueError("before or after, not both")
    keyset = Q(transaction_id__gt=after) if after is not None else Q()
    if before is not None:
        keyset = Q(transaction_id__lt=before)
    order = "transaction_id" if after is not None else "-transaction_id"
    if connection.vendor == "postgresql":
        ids = _newest_per_account(owner, entries.filter(keyset), order, limit)
    else:
        ids = entries.filter(keyset, account__user=owner).values("transaction_id")
    owner_entries = Entry.objects.filter(account__user=owner).order_by("id")
    page = list(
        Transaction.objects.filter(pk__in=ids)
        .order_by(order.replace("transaction_id", "id"))
        .prefetch_related(Prefetch("entries", queryset=owner_entries, to_attr="owner_entries"))[
            :limit
        ]
    )
    for txn in page:
        for entry in txn.owner_entries:
            entry.asset = asset_by_id(entry.asset_id)  # from memory, not a join per entry
    return page


def _newest_per_account(owner: User, entries: QuerySet[Entry], order: str, limit: int) -> QuerySet:
    """The first `limit` transaction ids of `entries` in each of the owner's accounts.

    Each account is read along its (account, transaction) index and stops after
    `limit`, so the cost follows the page size, not the ledger's size nor how much of
    it is the owner's (walking all transactions newest first and keeping the owner's
    takes longest for the users with the fewest). The account's own asset is repeated
    as a condition: with the asset filter's, PostgreSQL skips the other accounts at once.
    """
    from django.contrib.postgres.expressions import ArraySubquery

    per_account = (
        entries.filter(account=OuterRef("pk"), asset=OuterRef("asset"))
        .order_by(order)
        .values("transaction_id")[:limit]
    )
    return (
        Account.objects.filter(user=owner)
        .annotate(newest=Func(ArraySubquery(per_account), function="unnest"))
        .values("newest")
    )
