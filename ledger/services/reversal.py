"""Reversal: the exact opposite of a transaction, posted at most once."""

from django.db import transaction as db_transaction

from core.errors import AlreadyReversed, NotFound, ValidationError
from ledger.models import Transaction, TransactionType
from ledger.posting import Leg, post_transaction
from ledger.services.idempotency import earlier_under_key
from ledger.users import WalletUser


def reverse_transaction(
    *,
    transaction_id: int,
    reason: str,
    initiated_by: WalletUser | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """Post the exact opposite of a transaction. A transaction is reversed at most once.

    Raises NotFound, AlreadyReversed, ValidationError (a reversal is not reversed
    again; fix it with an adjustment) and InsufficientFunds when a credit being
    reversed has already been spent.
    """
    if not reason or not reason.strip():
        raise ValidationError("A reversal needs a reason.")
    with db_transaction.atomic():
        replayed = earlier_under_key(
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
