"""Holds: two-phase reservations on a user wallet (pending -> captured | voided | expired).

A hold raises the wallet's `held`, so what it reserves stays in the balance but is no
longer available; capturing it debits through the posting engine.
"""

from datetime import datetime

from django.db import transaction as db_transaction
from django.utils import timezone

from core.amounts import format_amount
from core.errors import (
    CaptureExceedsHold,
    HoldNotPending,
    InsufficientFunds,
    NotFound,
    ValidationError,
    WalletFrozen,
)
from ledger.events.catalogue import HOLD_CAPTURED, HOLD_EXPIRED, HOLD_PLACED, HOLD_VOIDED
from ledger.locks import lock_user_accounts
from ledger.models import Account, AccountPurpose, Hold, Transaction, TransactionType
from ledger.outbox import add_event
from ledger.posting import check_amount
from ledger.services.idempotency import earlier_under_key
from ledger.services.movements import debit
from ledger.users import WalletUser


def place_hold(
    *,
    account: Account,
    amount: int,
    reference: str = "",
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    created_by: WalletUser | None = None,
) -> Hold:
    """Reserve `amount` of a user wallet: it stays in the balance but is no longer available.

    The same key again returns the hold it placed (IdempotencyKeyReused for another
    wallet or amount). Raises WalletFrozen and InsufficientFunds beyond what is available.
    """
    check_amount(amount)  # no posting checks it: a hold reserves what a posting will move
    with db_transaction.atomic():
        existing = earlier_under_key(
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
        _hold_event(hold, locked)
    return hold


def capture_hold(
    *,
    hold_id: int,
    amount: int | None = None,
    idempotency_key: str | None = None,
    initiated_by: WalletUser | None = None,
) -> Transaction:
    """Debit up to the held amount (all of it by default) into REVENUE; the rest is released.

    Raises HoldNotPending when the hold was already captured, voided or expired,
    and CaptureExceedsHold for more than was held. The captured amount is checked by
    the engine, as every posting's.
    """
    with db_transaction.atomic():
        # A replayed key answers with its capture, though the hold is no longer pending.
        replayed = earlier_under_key(
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
            destination=AccountPurpose.REVENUE,
            reference=hold.reference,
            metadata={"hold_id": hold.pk},
            idempotency_key=idempotency_key,
            initiated_by=initiated_by,
        )
        hold.status = Hold.Status.CAPTURED
        hold.captured_amount = captured
        hold.capture_transaction = posted
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["status", "captured_amount", "capture_transaction", "resolved_at"])
        _hold_event(hold, account)
    return posted


def void_hold(*, hold_id: int) -> Hold:
    """Release a pending hold without moving value. Raises HoldNotPending when it is not."""
    return _release(hold_id, status=Hold.Status.VOIDED)


def release_expired_holds(*, now: datetime | None = None) -> int:
    """Expire every pending hold past its expiry, one short transaction each; return the count."""
    now = now or timezone.now()
    due = Hold.objects.filter(status=Hold.Status.PENDING, expires_at__lte=now)
    released = 0
    for hold_id in due.values_list("pk", flat=True).iterator():
        try:
            _release(hold_id, status=Hold.Status.EXPIRED)
            released += 1
        except HoldNotPending:
            continue  # captured or voided meanwhile
    return released


def _release(hold_id: int, *, status: str) -> Hold:
    """End a pending hold as VOIDED or EXPIRED: the wallet's `held` drops by its amount."""
    with db_transaction.atomic():
        hold, account = _lock_pending_hold(hold_id)
        account.held -= hold.amount
        account.save(update_fields=["held"])
        hold.status = status
        hold.resolved_at = timezone.now()
        hold.save(update_fields=["status", "resolved_at"])
        _hold_event(hold, account)
    return hold


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


HOLD_EVENTS: dict[str, str] = {
    Hold.Status.PENDING: HOLD_PLACED,
    Hold.Status.CAPTURED: HOLD_CAPTURED,
    Hold.Status.VOIDED: HOLD_VOIDED,
    Hold.Status.EXPIRED: HOLD_EXPIRED,
}


def _hold_event(hold: Hold, account: Account) -> None:
    """wallet.hold.placed|captured|voided|expired, from the hold and its locked wallet."""
    scale = account.asset.scale
    add_event(
        topic=HOLD_EVENTS[hold.status],
        payload={
            "hold_id": hold.pk,
            "account_id": account.pk,
            "user_id": account.user_id,
            "asset": account.asset.code,
            "amount": format_amount(hold.amount, scale=scale),
            "captured_amount": format_amount(hold.captured_amount, scale=scale),
            "reference": hold.reference,
        },
        key=account.user_id,
    )
