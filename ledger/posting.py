"""The posting engine: the one function through which value moves.

`post_transaction` takes balanced legs and, in one database transaction: serialises
on the idempotency key, locks the user accounts it touches in primary-key order,
checks their status and available funds on the locked rows, writes the transaction,
its entries with balance-after, the new user balances, the expiry lots it opens or
consumes, the user accounts' daily totals and an outbox event. System accounts are
neither locked nor updated: their balance is the sum of their entries.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction as db_transaction

from ledger.amounts import format_amount
from ledger.errors import IdempotencyKeyReused, InsufficientFunds, ValidationError, WalletFrozen
from ledger.locks import lock_idempotency_key, lock_user_accounts
from ledger.lots import consume_lots, open_lot
from ledger.models import MAX_AMOUNT, Account, Entry, Lot, OutboxEvent, Transaction, TransactionType
from ledger.rollup import add_daily_totals

# Staff corrections and expiry still apply to a frozen wallet; customers' debits do not.
DEBITS_ALLOWED_WHEN_FROZEN = {
    TransactionType.ADJUSTMENT,
    TransactionType.REVERSAL,
    TransactionType.EXPIRE,
}


@dataclass(frozen=True)
class Leg:
    """One side of a posting: a signed amount in minor units (negative debits)."""

    account: Account
    amount: int


def post_transaction(
    *,
    type: str,
    legs: Sequence[Leg],
    idempotency_key: str | None = None,
    reference: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by=None,
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
    _check_legs(type, legs)
    with db_transaction.atomic():
        if idempotency_key:
            lock_idempotency_key(idempotency_key)
            replayed = _find_replay(idempotency_key, type=type, legs=legs)
            if replayed is not None:
                return replayed
        locked = lock_user_accounts(leg.account.pk for leg in legs if leg.account.user_id)
        _check_user_accounts(type, legs, locked)

        posted = Transaction.objects.create(
            type=type,
            idempotency_key=idempotency_key,
            reference=reference,
            description=description,
            metadata=metadata or {},
            initiated_by=initiated_by,
            reverses=reverses,
        )
        entries = [_entry_for(posted, leg, locked.get(leg.account.pk)) for leg in legs]
        Entry.objects.bulk_create(entries)
        if locked:
            Account.objects.bulk_update(locked.values(), ["balance"])
        _track_lots(entries, locked)
        add_daily_totals(posted, [entry for entry in entries if entry.account_id in locked])
        OutboxEvent.objects.create(
            topic="ledger.transaction.posted", payload=_event_payload(posted, entries, legs)
        )
    return posted


def _check_legs(type: str, legs: Sequence[Leg]) -> None:
    if type not in TransactionType.values:
        raise ValidationError(f"Unknown transaction type {type!r}.")
    if len(legs) < 2:
        raise ValidationError("A transaction needs at least two legs.")
    totals: dict[int, int] = defaultdict(int)
    for leg in legs:
        if not isinstance(leg.amount, int) or isinstance(leg.amount, bool):
            # Floats and Decimals are converted at the edges; one reaching here is a bug.
            raise TypeError(f"ledger amounts are int minor units, got {leg.amount!r}")
        if leg.amount == 0 or abs(leg.amount) > MAX_AMOUNT:
            raise ValidationError("Each amount must be non-zero and at most 10^15 minor units.")
        totals[leg.account.asset_id] += leg.amount
    if len({leg.account.pk for leg in legs}) != len(legs):
        raise ValidationError("An account may appear only once in a transaction.")
    if any(totals.values()):
        raise ValidationError("The legs of a transaction must sum to zero for each asset.")


def _find_replay(key: str, *, type: str, legs: Sequence[Leg]) -> Transaction | None:
    existing = Transaction.objects.filter(idempotency_key=key).prefetch_related("entries").first()
    if existing is None:
        return None
    posted_legs = sorted((entry.account_id, entry.amount) for entry in existing.entries.all())
    asked_legs = sorted((leg.account.pk, leg.amount) for leg in legs)
    if existing.type != type or posted_legs != asked_legs:
        raise IdempotencyKeyReused(details={"transaction_id": existing.pk})
    return existing


def _check_user_accounts(type: str, legs: Sequence[Leg], locked: dict[int, Account]) -> None:
    for leg in legs:
        if not leg.account.user_id:
            continue
        account = locked.get(leg.account.pk)
        if account is None:
            raise ValidationError(f"Account {leg.account.pk} does not exist.")
        if leg.amount > 0:
            continue
        if account.status == Account.Status.FROZEN and type not in DEBITS_ALLOWED_WHEN_FROZEN:
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


def _entry_for(posted: Transaction, leg: Leg, account: Account | None) -> Entry:
    balance_after = None
    if account is not None:
        account.balance += leg.amount
        balance_after = account.balance
    return Entry(
        transaction=posted,
        account_id=leg.account.pk,
        asset_id=leg.account.asset_id,
        amount=leg.amount,
        balance_after=balance_after,
        created_at=posted.created_at,
    )


def _track_lots(entries: list[Entry], locked: dict[int, Account]) -> None:
    opened: list[Lot] = []
    consumed: list[Lot] = []
    for entry in entries:
        account = locked.get(entry.account_id)
        if account is None or account.asset.expiry_days is None:
            continue
        if entry.amount > 0:
            opened.append(open_lot(account=account, entry=entry))
        else:
            consumed.extend(consume_lots(account=account, amount=-entry.amount))
    if opened:
        Lot.objects.bulk_create(opened)
    if consumed:
        Lot.objects.bulk_update(consumed, ["remaining"])


def _event_payload(posted: Transaction, entries: list[Entry], legs: Sequence[Leg]) -> dict:
    return {
        "transaction_id": posted.pk,
        "type": posted.type,
        "reference": posted.reference,
        "created_at": posted.created_at.isoformat(),
        "reverses": posted.reverses_id,
        "entries": [
            {
                "account_id": leg.account.pk,
                "user_id": leg.account.user_id,
                "asset": leg.account.asset.code,
                "amount": entry.amount,
                "balance_after": entry.balance_after,
            }
            for leg, entry in zip(legs, entries, strict=True)
        ],
    }
