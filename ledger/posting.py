"""The posting engine: the one place where value moves.

`post_batch` takes postings (balanced legs each) and, in one database transaction:
locks the user accounts they touch in primary-key order (one query), finds the
postings whose idempotency key was already used, checks status and available funds
on the locked rows posting by posting, and writes the transactions, their entries
with balance-after, the new user balances, the expiry lots opened or consumed, the
user accounts' daily totals and one outbox event per transaction. A refused posting
is reported in its place; the others go ahead. System accounts are neither locked
nor updated: their balance is the sum of their entries.

Each posting's outcome says what happened to it: `Posted` (written now), `Replayed`
(its idempotency key had already posted the same transaction, which comes back; nothing
moved) or `Refused` (with the error). Callers tell a replay from a new posting by it,
never by timestamps: a concurrent first use may commit after the replaying caller
started, and clocks differ between machines.

`post_transaction` is the one-posting case, used by every service; it also
serialises on its idempotency key, returns the transaction (new or replayed) and
raises what a posting was refused for.
"""

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, cast

from django.db import connection
from django.db import transaction as db_transaction
from django.utils import timezone

from core.amounts import format_amount
from core.errors import (
    DomainError,
    IdempotencyKeyReused,
    InsufficientFunds,
    ValidationError,
    WalletFrozen,
)
from core.observability.metrics import record_postings
from core.timestamps import iso
from ledger.events.catalogue import TRANSACTION_POSTED
from ledger.inserts import NewEntry, allocate_ids, write_postings
from ledger.locks import Ids, LockedAccount, lock_for_posting, lock_idempotency_key
from ledger.lots import LotBook
from ledger.models import MAX_AMOUNT, Account, Entry, Transaction, TransactionType
from ledger.outbox import outbox_row
from ledger.read_cache import wallets_changed
from ledger.rollup import daily_total_rows
from ledger.statistics import analyze_stale
from ledger.users import WalletUser

# Staff corrections and expiry still apply to a frozen wallet; customers' debits do not.
DEBITS_ALLOWED_WHEN_FROZEN = {
    TransactionType.ADJUSTMENT,
    TransactionType.REVERSAL,
    TransactionType.EXPIRE,
}
# Nor does a frozen wallet receive transfers from other users.
CREDITS_REFUSED_WHEN_FROZEN = {TransactionType.TRANSFER}


TRANSACTION_TYPES = frozenset(TransactionType.values)


@dataclass(frozen=True)
class Leg:
    """One side of a posting: a signed amount in minor units (negative debits)."""

    account: Account
    amount: int


@dataclass(frozen=True)
class Posting:
    """One transaction to post: its type, its balanced legs and what it records."""

    type: str
    legs: Sequence[Leg]
    _: KW_ONLY
    idempotency_key: str | None = None
    reference: str = ""
    description: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    initiated_by: WalletUser | None = None
    reverses: Transaction | None = None


@dataclass(frozen=True, slots=True)
class Posted:
    """Written by this call."""

    transaction: Transaction


@dataclass(frozen=True, slots=True)
class Replayed:
    """Its idempotency key had already posted the same type and legs (before this call,
    or earlier in the same batch): that transaction, and nothing moved."""

    transaction: Transaction


@dataclass(frozen=True, slots=True)
class Refused:
    """Nothing was posted, for this reason (IdempotencyKeyReused for a key already used
    by another posting: its details name that transaction)."""

    error: DomainError


Outcome = Posted | Replayed | Refused


def post_transaction(
    *,
    type: str,
    legs: Sequence[Leg],
    idempotency_key: str | None = None,
    reference: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by: WalletUser | None = None,
    reverses: Transaction | None = None,
) -> Transaction:
    """Post one balanced transaction and return it.

    A key already used returns the transaction it posted (a replay) when the type
    and legs are the same, and raises IdempotencyKeyReused when they differ.
    Raises ValidationError for malformed legs, WalletFrozen for a debit from a
    frozen wallet and InsufficientFunds when a user balance would fall below its
    holds. Opens its own database transaction, or a savepoint in the caller's, so a
    refusal leaves the caller's transaction usable.
    """
    posting = Posting(
        type,
        legs,
        idempotency_key=idempotency_key,
        reference=reference,
        description=description,
        metadata=metadata or {},
        initiated_by=initiated_by,
        reverses=reverses,
    )
    check_posting(posting)
    with db_transaction.atomic():
        if posting.idempotency_key:
            lock_idempotency_key(posting.idempotency_key)
        (outcome,) = _post([posting], keep_entries=True)
    if isinstance(outcome, Refused):
        raise outcome.error
    return outcome.transaction


def post_batch(
    postings: Sequence[Posting], *, on_locked: Callable[[], None] | None = None
) -> list[Outcome]:
    """Post independent transactions together; return each one's outcome, in order.

    For bulk work: one lock query, one insert per table and one commit for the batch.
    Postings are applied in order, so a later one sees an earlier one's balance.
    `on_locked` is called once the batch holds its account locks: a caller posting
    batches in parallel uses it to let the next batch take its locks only then.
    Bulk jobs grow the ledger fast, so each batch first refreshes stale statistics.
    """
    analyze_stale()
    outcomes: list[Outcome | None] = [None] * len(postings)
    valid: list[int] = []
    for index, posting in enumerate(postings):
        try:
            check_posting(posting)
            valid.append(index)
        except DomainError as refused:
            outcomes[index] = Refused(refused)
    with db_transaction.atomic():
        posted = _post([postings[i] for i in valid], on_locked=on_locked)
        for index, outcome in zip(valid, posted, strict=True):
            outcomes[index] = outcome
    return cast(list[Outcome], outcomes)  # every index is set by now


def check_amount(amount: int) -> None:
    """The ledger's one check of an amount: int minor units, above zero, at most 10^15.

    It belongs to the engine, not to the services (which also made it): every movement
    passes here, the batches of bulk transfers and campaigns that build their own legs
    included, so an amount that skips a service cannot skip this. The services only
    refuse an amount that would turn their direction around; a hold, which reserves
    what a posting will later move, applies this same rule. The amount grammar at the
    edges (core.amounts) is the parsing of client text, and refuses there so that a
    client's 400 names its field and a bulk file is refused before anything posts.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        # Floats and Decimals are converted at the edges; one reaching here is a bug.
        raise TypeError(f"ledger amounts are int minor units, got {amount!r}")
    if not 0 < amount <= MAX_AMOUNT:
        raise ValidationError("Amount must be greater than zero and at most 10^15 minor units.")


def check_posting(posting: Posting) -> None:
    """What needs no database: known type, valid amounts, balanced per asset."""
    if posting.type not in TRANSACTION_TYPES:
        raise ValidationError(f"Unknown transaction type {posting.type!r}.")
    if len(posting.legs) < 2:
        raise ValidationError("A transaction needs at least two legs.")
    totals: dict[int, int] = defaultdict(int)
    for leg in posting.legs:
        # A debit leg's size is checked like a credit's; anything but an int goes as is.
        check_amount(abs(leg.amount) if type(leg.amount) is int else leg.amount)
        totals[leg.account.asset_id] += leg.amount
    if len({leg.account.pk for leg in posting.legs}) != len(posting.legs):
        raise ValidationError("An account may appear only once in a transaction.")
    if any(totals.values()):
        raise ValidationError("The legs of a transaction must sum to zero for each asset.")


def _post(
    postings: Sequence[Posting],
    on_locked: Callable[[], None] | None = None,
    *,
    keep_entries: bool = False,
) -> list[Outcome]:
    """The engine proper; runs inside the caller's atomic block. `keep_entries` hands
    each new transaction its entries (see `_keep_entries`)."""
    locked, ids = lock_for_posting(
        (leg.account.pk for posting in postings for leg in posting.legs if leg.account.user_id),
        ids_for=(len(postings), sum(len(posting.legs) for posting in postings)),
    )
    if on_locked:
        on_locked()
    # Looked up under the locks: a concurrent first use of a key has committed by now.
    earlier = _earlier_postings([p.idempotency_key for p in postings if p.idempotency_key])

    now = timezone.now()
    outcomes: list[Outcome] = []
    accepted: list[tuple[Transaction, Posting, list[NewEntry]]] = []
    for posting in postings:
        key = posting.idempotency_key
        if key in earlier:
            outcomes.append(_replay(*earlier[key], posting))
            continue
        try:
            _check_user_accounts(posting, locked)
        except DomainError as refused:
            outcomes.append(Refused(refused))
            continue
        txn = Transaction(
            type=posting.type,
            idempotency_key=key,
            reference=posting.reference,
            description=posting.description,
            metadata=posting.metadata or {},
            initiated_by=posting.initiated_by,
            reverses=posting.reverses,
            created_at=now,
        )
        if key:
            earlier[key] = (txn, _legs(posting))  # a repeat later in this batch is a replay
        accepted.append((txn, posting, [_entry_for(txn, leg, locked) for leg in posting.legs]))
        outcomes.append(Posted(txn))

    if accepted:
        _write(accepted, locked, ids)
        wallets_changed(leg.account.user_id for _, posting, _ in accepted for leg in posting.legs)
        record_postings(txn for txn, _, _ in accepted)  # metrics and logs, once committed
        if keep_entries:
            for txn, posting, entries in accepted:
                _keep_entries(txn, posting, entries)
    return outcomes


# One index probe per key or transaction, whatever the planner's statistics say: with
# IN (...) it chose a sequential scan of a 100,000-row table for a batch's 1,000 keys.
EARLIER_TRANSACTIONS = """
SELECT t.* FROM unnest(%s::varchar[]) AS k(key)
CROSS JOIN LATERAL (SELECT * FROM ledger_transaction WHERE idempotency_key = k.key) t
"""
EARLIER_LEGS = """
SELECT e.transaction_id, e.account_id, e.amount FROM unnest(%s::bigint[]) AS t(id)
CROSS JOIN LATERAL (SELECT * FROM ledger_entry WHERE transaction_id = t.id) e
"""


def _earlier_postings(keys: list[str]) -> dict[str, tuple[Transaction, list]]:
    """The transactions already posted under these keys, with their (account, amount) legs."""
    if not keys:
        return {}
    if connection.vendor == "postgresql":
        txns = {txn.pk: txn for txn in Transaction.objects.raw(EARLIER_TRANSACTIONS, [keys])}
        with connection.cursor() as cursor:
            cursor.execute(EARLIER_LEGS, [list(txns)])
            rows = cursor.fetchall()
    else:
        txns = {txn.pk: txn for txn in Transaction.objects.filter(idempotency_key__in=keys)}
        rows = Entry.objects.filter(transaction_id__in=txns).values_list(
            "transaction_id", "account_id", "amount"
        )
    legs = defaultdict(list)
    for txn_id, account_id, amount in rows:
        legs[txn_id].append((account_id, amount))
    return {txn.idempotency_key: (txn, sorted(legs[pk])) for pk, txn in txns.items()}


def _legs(posting: Posting) -> list[tuple[int, int]]:
    return sorted((leg.account.pk, leg.amount) for leg in posting.legs)


def _replay(earlier: Transaction, earlier_legs: list, posting: Posting) -> Replayed | Refused:
    """The same request again gets the first answer; another request under its key, a 409."""
    if earlier.type != posting.type or earlier_legs != _legs(posting):
        return Refused(IdempotencyKeyReused(details={"transaction_id": earlier.pk}))
    return Replayed(earlier)


def _check_user_accounts(posting: Posting, locked: dict[int, LockedAccount]) -> None:
    for leg in posting.legs:
        if not leg.account.user_id:
            continue
        account = locked.get(leg.account.pk)
        if account is None:
            raise ValidationError(f"Account {leg.account.pk} does not exist.")
        frozen = account.status == Account.Status.FROZEN
        if leg.amount > 0:
            if frozen and posting.type in CREDITS_REFUSED_WHEN_FROZEN:
                raise WalletFrozen("The recipient's wallet is frozen.")
            continue
        if frozen and posting.type not in DEBITS_ALLOWED_WHEN_FROZEN:
            raise WalletFrozen(details={"asset": account.asset.code})
        if account.balance + leg.amount < account.held:
            scale = account.asset.scale
            raise InsufficientFunds(
                details={
                    "asset": account.asset.code,
                    "available": format_amount(account.available, scale=scale),
                    "requested": format_amount(-leg.amount, scale=scale),
                }
            )


def _entry_for(txn: Transaction, leg: Leg, locked: dict[int, LockedAccount]) -> NewEntry:
    """The entry for a leg; a user account's locked row takes the new balance in memory."""
    account = locked.get(leg.account.pk)
    balance_after = None
    if account is not None:
        account.balance += leg.amount
        balance_after = account.balance
    return NewEntry(txn, leg.account.pk, leg.account.asset_id, leg.amount, balance_after)


def _keep_entries(txn: Transaction, posting: Posting, entries: list[NewEntry]) -> None:
    """Give the transaction its entries as prefetch_related would, so that
    `txn.entries.all()` answers from memory: an API response then needs no read of
    what was just written. (Bulk batches skip it: thousands of model instances they
    would never use.)"""
    kept = txn.entries.all()  # lazy: no query
    kept._result_cache = [
        Entry(
            pk=entry.pk,
            transaction=txn,
            account=leg.account,
            asset=leg.account.asset,
            amount=entry.amount,
            balance_after=entry.balance_after,
            created_at=txn.created_at,
        )
        for leg, entry in zip(posting.legs, entries, strict=True)
    ]
    kept._prefetch_done = True
    txn._prefetched_objects_cache = {"entries": kept}


def _write(
    accepted: list[tuple[Transaction, Posting, list[NewEntry]]],
    locked: dict[int, LockedAccount],
    ids: Ids | None,
) -> None:
    txns = [txn for txn, _, _ in accepted]
    entries = [entry for _, _, txn_entries in accepted for entry in txn_entries]
    allocate_ids(txns, entries, ids)
    user_entries = [entry for entry in entries if entry.account_id in locked]
    write_postings(
        txns,
        entries,
        balances={entry.account_id: locked[entry.account_id].balance for entry in user_entries},
        daily_totals=daily_total_rows(user_entries),
        events=[
            outbox_row(
                TRANSACTION_POSTED,
                _event_payload(txn, posting, txn_entries),
                txn.created_at,
                key=_event_key(posting),
            )
            for txn, posting, txn_entries in accepted
        ],
    )
    _move_lots(user_entries, locked)


def _move_lots(user_entries: list[NewEntry], locked: dict[int, LockedAccount]) -> None:
    """Credits of expiring assets open lots; debits consume them, soonest-expiring first."""
    books: dict[int, LotBook] = {}
    for entry in user_entries:
        account = locked[entry.account_id]
        if account.asset.expiry_days is None:
            continue
        if account.pk not in books:  # one load of the open lots per account
            books[account.pk] = LotBook(account.pk, account.asset)
        book = books[account.pk]
        if entry.amount > 0:
            book.credit(entry.pk, entry.amount, entry.transaction.created_at)
        else:
            book.debit(-entry.amount)
    for book in books.values():
        book.save()


def _event_payload(txn: Transaction, posting: Posting, entries: list[NewEntry]) -> dict:
    """wallet.transaction.posted's data (ledger.events): amounts as the API writes them."""
    return {
        "transaction_id": txn.pk,
        "type": txn.type,
        "reference": txn.reference or None,
        "reverses": txn.reverses_id,
        "created_at": iso(txn.created_at),
        "entries": [
            {
                "account_id": leg.account.pk,
                "user_id": leg.account.user_id,
                "asset": leg.account.asset.code,
                "amount": format_amount(entry.amount, scale=leg.account.asset.scale),
                "balance_after": None
                if entry.balance_after is None
                else format_amount(entry.balance_after, scale=leg.account.asset.scale),
            }
            for leg, entry in zip(posting.legs, entries, strict=True)
        ],
    }


def _event_key(posting: Posting) -> int | None:
    """The user whose events this one is ordered with: the debited user (a transfer's
    sender), else the credited one; None when only system accounts move."""
    user_legs = [leg for leg in posting.legs if leg.account.user_id is not None]
    if not user_legs:
        return None
    return min(user_legs, key=lambda leg: leg.amount >= 0).account.user_id
