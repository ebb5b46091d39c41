"""Ledger operations. Each moves value only through `ledger.posting.post_transaction`.

Every function opens its own database transaction, or a savepoint inside the caller's (so a
rewards purchase can decrement stock and post in one commit). Amounts are int minor
units; the wallets layer converts from decimals.
"""

from datetime import datetime
from typing import Any

from django.db import transaction as db_transaction
from django.utils import timezone

from core.amounts import format_amount
from core.errors import (
    AlreadyReversed,
    AssetNotTransferable,
    CaptureExceedsHold,
    HoldNotPending,
    IdempotencyKeyReused,
    InsufficientFunds,
    NotFound,
    ValidationError,
    WalletFrozen,
)
from ledger.locks import lock_idempotency_key, lock_user_accounts
from ledger.models import (
    MAX_AMOUNT,
    Account,
    AccountPurpose,
    Asset,
    ConversionRate,
    Hold,
    Lot,
    OutboxEvent,
    Transaction,
    TransactionType,
)
from ledger.posting import Leg, post_transaction
from ledger.reference import get_system_account


def require_positive(amount: int) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"ledger amounts are int minor units, got {amount!r}")
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationError("Amount must be greater than zero and at most 10^15 minor units.")
    return amount


def _used_key(model, key: str | None, *, same):
    """For writes that must check a key before the engine sees it (a capture releases the
    hold first): serialise on the key and return what it already made, or None. Another
    request under the same key raises IdempotencyKeyReused."""
    if not key:
        return None
    lock_idempotency_key(key)
    earlier = model.objects.filter(idempotency_key=key).first()
    if earlier is not None and not same(earlier):
        raise IdempotencyKeyReused(details={f"{model._meta.model_name}_id": earlier.pk})
    return earlier


# --- accounts ---------------------------------------------------------------------------


def open_user_accounts(*, user) -> list[Account]:
    """Make sure the user has a wallet for every active asset; return all their wallets."""
    Account.objects.bulk_create(
        [Account(user=user, asset=asset) for asset in Asset.objects.filter(active=True)],
        ignore_conflicts=True,
    )
    return list(Account.objects.select_related("asset").filter(user=user).order_by("asset__code"))


def set_account_status(*, account: Account, status: str) -> Account:
    """Freeze or unfreeze a wallet. A frozen wallet refuses debits and transfers."""
    if status not in Account.Status.values:
        raise ValidationError(f"Unknown status {status!r}.")
    with db_transaction.atomic():
        locked = lock_user_accounts([account.pk]).get(account.pk)
        if locked is None:
            raise ValidationError("Only user wallets can be frozen.")
        if locked.status != status:
            locked.status = status
            locked.save(update_fields=["status"])
            OutboxEvent.objects.create(
                topic="ledger.account.status_changed",
                payload={"account_id": locked.pk, "user_id": locked.user_id, "status": status},
            )
    return locked


# --- simple movements -------------------------------------------------------------------


def credit(
    *,
    account: Account,
    amount: int,
    type: str,
    source: str,
    source_label: str = "",
    **details: Any,
) -> Transaction:
    """Move `amount` from the system account `source` into a user account.

    `details` are post_transaction's: idempotency_key, reference, description,
    metadata, initiated_by.
    """
    require_positive(amount)
    origin = get_system_account(purpose=source, asset=account.asset, label=source_label)
    return post_transaction(type=type, legs=[Leg(origin, -amount), Leg(account, amount)], **details)


def debit(
    *,
    account: Account,
    amount: int,
    type: str,
    destination: str,
    destination_label: str = "",
    **details: Any,
) -> Transaction:
    """Move `amount` from a user account into the system account `destination`."""
    require_positive(amount)
    target = get_system_account(purpose=destination, asset=account.asset, label=destination_label)
    return post_transaction(type=type, legs=[Leg(account, -amount), Leg(target, amount)], **details)


def adjust(*, account: Account, amount: int, reason: str, **details: Any) -> Transaction:
    """A staff correction: a signed amount against the treasury, with a required reason."""
    if not reason or not reason.strip():
        raise ValidationError("An adjustment needs a reason.")
    details.setdefault("description", reason)
    details["metadata"] = {**details.get("metadata", {}), "reason": reason}
    if isinstance(amount, int) and not isinstance(amount, bool) and amount < 0:
        return debit(
            account=account,
            amount=-amount,
            type=TransactionType.ADJUSTMENT,
            destination=AccountPurpose.TREASURY,
            **details,
        )
    return credit(
        account=account,
        amount=amount,
        type=TransactionType.ADJUSTMENT,
        source=AccountPurpose.TREASURY,
        **details,
    )


def transfer(*, source: Account, destination: Account, amount: int, **details: Any) -> Transaction:
    """User to user, for transferable assets only. A frozen wallet neither sends nor
    receives transfers (the engine checks both on the locked rows)."""
    require_positive(amount)
    if not (source.user_id and destination.user_id):
        raise ValidationError("Transfers are between user wallets.")
    if source.pk == destination.pk or source.user_id == destination.user_id:
        raise ValidationError("Cannot transfer to the same wallet.")
    if source.asset_id != destination.asset_id:
        raise ValidationError("Both wallets must hold the same asset.")
    if not source.asset.transferable:
        raise AssetNotTransferable(details={"asset": source.asset.code})
    return post_transaction(
        type=TransactionType.TRANSFER,
        legs=[Leg(source, -amount), Leg(destination, amount)],
        **details,
    )


def convert(*, source: Account, destination: Account, amount: int, **details: Any) -> Transaction:
    """Convert `amount` of the source asset at the configured rate: four entries, two assets.

    `amount` must be a whole multiple of the rate's from_amount.
    """
    require_positive(amount)
    if source.user_id is None or source.user_id != destination.user_id:
        raise ValidationError("Conversion is between two wallets of the same user.")
    rate = ConversionRate.objects.filter(
        from_asset_id=source.asset_id, to_asset_id=destination.asset_id, active=True
    ).first()
    if rate is None:
        raise ValidationError(
            f"No conversion from {source.asset.code} to {destination.asset.code}."
        )
    rate_shown = {
        "from_amount": format_amount(rate.from_amount, scale=source.asset.scale),
        "to_amount": format_amount(rate.to_amount, scale=destination.asset.scale),
    }
    if amount % rate.from_amount:
        raise ValidationError(
            f"Amount must be a multiple of {rate_shown['from_amount']} {source.asset.code}.",
            details={"multiple_of": rate_shown["from_amount"]},
        )
    converted = amount // rate.from_amount * rate.to_amount
    if converted > MAX_AMOUNT:
        raise ValidationError("Amount is too large.")
    pool_in = get_system_account(purpose=AccountPurpose.CONVERSION, asset=source.asset)
    pool_out = get_system_account(purpose=AccountPurpose.CONVERSION, asset=destination.asset)
    details["metadata"] = {
        **details.get("metadata", {}),
        "rate": rate_shown,
    }
    return post_transaction(
        type=TransactionType.CONVERT,
        legs=[
            Leg(source, -amount),
            Leg(pool_in, amount),
            Leg(pool_out, -converted),
            Leg(destination, converted),
        ],
        **details,
    )


def reverse_transaction(
    *, transaction_id: int, reason: str, initiated_by=None, idempotency_key: str | None = None
) -> Transaction:
    """Post the exact opposite of a transaction. A transaction is reversed at most once.

    Raises NotFound, AlreadyReversed, ValidationError (a reversal is not reversed
    again; fix it with an adjustment) and InsufficientFunds when a credit being
    reversed has already been spent.
    """
    if not reason or not reason.strip():
        raise ValidationError("A reversal needs a reason.")
    with db_transaction.atomic():
        replayed = _used_key(
            Transaction, idempotency_key, same=lambda txn: txn.reverses_id == transaction_id
        )
        if replayed is not None:
            return replayed
        # Locking the original serialises concurrent reversals of it (a SELECT lock,
        # not an UPDATE: the row itself stays immutable).
        original = (
            Transaction.objects.select_for_update(no_key=True).filter(pk=transaction_id).first()
        )
        if original is None:
            raise NotFound("Transaction not found.")
        if original.type == TransactionType.REVERSAL:
            raise ValidationError("A reversal cannot be reversed; post an adjustment instead.")
        if Transaction.objects.filter(reverses=original).exists():
            raise AlreadyReversed(details={"transaction_id": original.pk})
        entries = original.entries.select_related("account__asset")
        return post_transaction(
            type=TransactionType.REVERSAL,
            legs=[Leg(entry.account, -entry.amount) for entry in entries],
            idempotency_key=idempotency_key,
            reference=original.reference,
            description=reason,
            metadata={"reason": reason, "reverses": original.pk},
            initiated_by=initiated_by,
            reverses=original,
        )


# --- holds ------------------------------------------------------------------------------


def place_hold(
    *,
    account: Account,
    amount: int,
    reference: str = "",
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    created_by=None,
) -> Hold:
    """Reserve `amount` of a user wallet: it stays in the balance but is no longer available."""
    require_positive(amount)
    with db_transaction.atomic():
        existing = _used_key(
            Hold,
            idempotency_key,
            same=lambda hold: (hold.account_id, hold.amount) == (account.pk, amount),
        )
        if existing is not None:
            return existing
        locked = lock_user_accounts([account.pk]).get(account.pk)
        if locked is None:
            raise ValidationError("Holds are placed on user wallets.")
        if locked.status == Account.Status.FROZEN:
            raise WalletFrozen()
        if locked.available < amount:
            raise InsufficientFunds(details={"asset": locked.asset.code})
        locked.held += amount
        locked.save(update_fields=["held"])
        hold = Hold.objects.create(
            account=locked,
            amount=amount,
            reference=reference,
            expires_at=expires_at,
            idempotency_key=idempotency_key,
            created_by=created_by,
        )
        _hold_event(hold)
    return hold


def capture_hold(
    *,
    hold_id: int,
    amount: int | None = None,
    initiated_by=None,
    idempotency_key: str | None = None,
    destination: str = AccountPurpose.REVENUE,
) -> Transaction:
    """Debit up to the held amount (all of it by default); the rest is released.

    Raises HoldNotPending when the hold was already captured, voided or expired,
    and CaptureExceedsHold for more than was held.
    """
    if amount is not None:
        require_positive(amount)
    with db_transaction.atomic():
        replayed = _used_key(
            Transaction, idempotency_key, same=lambda txn: txn.metadata.get("hold_id") == hold_id
        )
        if replayed is not None:
            return replayed
        hold, account = _lock_pending_hold(hold_id)
        captured = hold.amount if amount is None else amount
        if captured > hold.amount:
            raise CaptureExceedsHold(
                details={"held": format_amount(hold.amount, scale=account.asset.scale)}
            )
        # Release the whole hold first; the posting then debits what is captured.
        account.held -= hold.amount
        account.save(update_fields=["held"])
        posted = debit(
            account=account,
            amount=captured,
            type=TransactionType.CAPTURE,
            destination=destination,
            idempotency_key=idempotency_key,
            reference=hold.reference,
            metadata={"hold_id": hold.pk},
            initiated_by=initiated_by,
        )
        hold.status = Hold.Status.CAPTURED
        hold.captured_amount = captured
        hold.capture_transaction = posted
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["status", "captured_amount", "capture_transaction", "resolved_at"])
        _hold_event(hold)
    return posted


def void_hold(*, hold_id: int, status: str = Hold.Status.VOIDED) -> Hold:
    """Release a pending hold without moving value (VOIDED, or EXPIRED by the expiry job)."""
    with db_transaction.atomic():
        hold, account = _lock_pending_hold(hold_id)
        account.held -= hold.amount
        account.save(update_fields=["held"])
        hold.status = status
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["status", "resolved_at"])
        _hold_event(hold)
    return hold


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Expire every pending hold past its expiry, one short transaction each; return the count."""
    now = now or timezone.now()
    due = Hold.objects.filter(status=Hold.Status.PENDING, expires_at__lte=now)
    released = 0
    for hold_id in due.values_list("pk", flat=True).iterator():
        try:
            void_hold(hold_id=hold_id, status=Hold.Status.EXPIRED)
            released += 1
        except HoldNotPending:
            continue  # captured or voided meanwhile
    return released


def _lock_pending_hold(hold_id: int) -> tuple[Hold, Account]:
    """Lock the hold's account, then the hold (the global lock order), and check it is pending."""
    account_id = Hold.objects.filter(pk=hold_id).values_list("account_id", flat=True).first()
    if account_id is None:
        raise NotFound("Hold not found.")
    account = lock_user_accounts([account_id])[account_id]
    hold = Hold.objects.select_for_update().get(pk=hold_id)
    if hold.status != Hold.Status.PENDING:
        raise HoldNotPending(details={"status": hold.status})
    return hold, account


def _hold_event(hold: Hold) -> None:
    OutboxEvent.objects.create(
        topic=f"ledger.hold.{hold.status.lower()}",
        payload={
            "hold_id": hold.pk,
            "account_id": hold.account_id,
            "amount": hold.amount,
            "captured_amount": hold.captured_amount,
            "reference": hold.reference,
        },
    )


# --- expiry -----------------------------------------------------------------------------


def expire_lots(*, account_id: int, now: datetime | None = None) -> Transaction | None:
    """Move what is left of the account's expired lots to EXPIRED, as one EXPIRE transaction.

    Held amounts stay put: only what is available expires now; the rest of an
    expired lot waits for the hold to be released. Safe to run again: a second
    run finds nothing left.
    """
    now = now or timezone.now()
    with db_transaction.atomic():
        account = lock_user_accounts([account_id]).get(account_id)
        if account is None:
            raise NotFound("Account not found.")
        expired = sum(
            Lot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).values_list(
                "remaining", flat=True
            )
        )
        amount = min(expired, account.available)
        if amount <= 0:
            return None
        # The engine consumes soonest-expiring lots first, which are exactly the expired ones.
        return debit(
            account=account,
            amount=amount,
            type=TransactionType.EXPIRE,
            destination=AccountPurpose.EXPIRED,
            description="Points expired",
            metadata={"expired_before": now.isoformat()},
        )
