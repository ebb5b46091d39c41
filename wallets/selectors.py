"""Reads of wallets. Never write, never lock."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Func, OuterRef, Q, QuerySet

from accounts.models import User
from ledger.models import Account, Asset, Entry, Transaction
from ledger.reference import asset_by_id
from ledger.selectors import get_transaction_with_entries


@dataclass(slots=True)
class HistoryEntry:
    asset: Asset
    amount: int
    balance_after: int


@dataclass(slots=True)
class HistoryRow:
    """A transaction as history shows it: plain values, not a model instance (a page is
    up to 200 of them, and building models cost more than the queries)."""

    id: int
    type: str
    reference: str
    description: str
    created_at: datetime
    owner_entries: list[HistoryEntry] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.id


# The unfiltered pages, newest first, the ones most asked for: the same per-account reads
# as _newest_per_account, written out once and joined with the owner's entries of each
# transaction, so a page is one statement. Building it with the ORM on every request cost
# more CPU than PostgreSQL spends running it.
NEWEST_UNFILTERED = """
WITH page AS (
    SELECT t.id, t.type, t.reference, t.description, t.created_at FROM ledger_transaction t
    WHERE t.id IN (
        SELECT unnest(ARRAY(
            SELECT e.transaction_id FROM ledger_entry e
            WHERE e.account_id = a.id AND e.asset_id = a.asset_id AND e.transaction_id < %s
            ORDER BY e.transaction_id DESC LIMIT %s
        ))
        FROM ledger_account a WHERE a.user_id = %s
    )
    ORDER BY t.id DESC LIMIT %s
)
SELECT page.*, e.asset_id, e.amount, e.balance_after
FROM page JOIN ledger_entry e ON e.transaction_id = page.id
JOIN ledger_account a ON a.id = e.account_id AND a.user_id = %s
ORDER BY page.id DESC, e.id
"""
# The owner's entries of a page's transactions (the filtered and older-first pages).
OWNER_ENTRIES = """
SELECT e.transaction_id, e.asset_id, e.amount, e.balance_after FROM ledger_entry e
JOIN ledger_account a ON a.id = e.account_id AND a.user_id = %s
WHERE e.transaction_id = ANY(%s) ORDER BY e.id
"""
BEFORE_ALL = 2**63 - 1


def list_history(
    *,
    owner: User,
    entries: QuerySet[Entry] | None,
    limit: int,
    before: int | None = None,
    after: int | None = None,
) -> list[HistoryRow]:
    """The owner's transactions that have one of `entries` (None: any) on an account
    of theirs.

    Newest first below transaction id `before` or, given `after`, oldest first above
    it; at most `limit`, each once (a convert touches two of the owner's accounts),
    with all the owner's entries of it in `owner_entries`. At most two statements
    (one for an unfiltered page newest first on PostgreSQL), whatever the ledger's
    size or the owner's share of it.
    """
    if before is not None and after is not None:
        raise ValueError("before or after, not both")
    if entries is None and after is None and connection.vendor == "postgresql":
        return _newest_unfiltered(owner.pk, BEFORE_ALL if before is None else before, limit)
    if entries is None:
        entries = Entry.objects.all()
    keyset = Q(transaction_id__gt=after) if after is not None else Q()
    if before is not None:
        keyset = Q(transaction_id__lt=before)
    order = "transaction_id" if after is not None else "-transaction_id"
    if connection.vendor == "postgresql":
        ids = _newest_per_account(owner, entries.filter(keyset), order, limit)
    else:
        ids = entries.filter(keyset, account__user=owner).values("transaction_id")
    txns = Transaction.objects.filter(pk__in=ids).order_by(order.replace("transaction_id", "id"))
    page = {
        row[0]: HistoryRow(*row)
        for row in txns.values_list("id", "type", "reference", "description", "created_at")[:limit]
    }
    return _with_owner_entries(owner, page)


def _newest_unfiltered(owner_id: int, before: int, limit: int) -> list[HistoryRow]:
    page: dict[int, HistoryRow] = {}
    with connection.cursor() as cursor:
        cursor.execute(NEWEST_UNFILTERED, [before, limit, owner_id, limit, owner_id])
        for txn_id, type_, reference, description, created_at, asset_id, amount, after in cursor:
            row = page.get(txn_id)
            if row is None:
                row = page[txn_id] = HistoryRow(txn_id, type_, reference, description, created_at)
            row.owner_entries.append(HistoryEntry(asset_by_id(asset_id), amount, after))
    return list(page.values())


def _with_owner_entries(owner: User, page: dict[int, HistoryRow]) -> list[HistoryRow]:
    """The rows of `page` (transaction id -> row, in order) with the owner's entries."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(OWNER_ENTRIES, [owner.pk, list(page)])
            rows = cursor.fetchall()
    else:
        rows = list(
            Entry.objects.filter(account__user=owner, transaction_id__in=list(page))
            .order_by("id")
            .values_list("transaction_id", "asset_id", "amount", "balance_after")
        )
    for txn_id, asset_id, amount, balance_after in rows:
        page[txn_id].owner_entries.append(
            HistoryEntry(asset_by_id(asset_id), amount, balance_after)
        )
    return list(page.values())


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


def list_entries() -> QuerySet[Entry]:
    """Every entry, unevaluated: what the history filters narrow before list_history
    keeps the owner's."""
    return Entry.objects.all()


def get_user_transaction(*, transaction_id: int, user_id: int | None) -> Transaction | None:
    """The transaction with its entries if it has an entry on one of the user's accounts
    (any transaction for None); else None, so another user's ids reveal nothing."""
    txns = Transaction.objects.filter(pk=transaction_id)
    if user_id is not None:
        txns = txns.filter(entries__account__user_id=user_id)
    if not txns.exists():
        return None
    return get_transaction_with_entries(transaction_id)
