"""Movements of value between a user wallet and a system account, or between wallets:
credit (top-ups, earnings, bonuses), debit (spends, redemptions, captures, expiry),
adjust, transfer and convert. Each builds balanced legs for the posting engine, which
checks every amount (ledger.posting.check_amount).
"""

from typing import Any

from core.amounts import format_amount
from core.errors import AssetNotTransferable, ValidationError
from ledger.models import Account, AccountPurpose, ConversionRate, Transaction, TransactionType
from ledger.posting import Leg, post_transaction
from ledger.reference import get_system_account
from ledger.users import WalletUser


def _require_positive(amount: int) -> None:
    """A verb's amount is how much moves its way, so it is above zero: a negative credit
    would be a debit. Its type and size are the engine's one check."""
    if amount <= 0:
        raise ValidationError("Amount must be greater than zero.")


def credit(
    *,
    account: Account,
    amount: int,
    type: str,
    source: str,
    source_label: str = "",
    idempotency_key: str | None = None,
    reference: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by: WalletUser | None = None,
) -> Transaction:
    """Move `amount` from the system account `source` into a user account
    (`source_label` names a provider's account)."""
    _require_positive(amount)
    origin = get_system_account(purpose=source, asset=account.asset, label=source_label)
    return post_transaction(
        type=type,
        legs=[Leg(origin, -amount), Leg(account, amount)],
        idempotency_key=idempotency_key,
        reference=reference,
        description=description,
        metadata=metadata,
        initiated_by=initiated_by,
    )


def debit(
    *,
    account: Account,
    amount: int,
    type: str,
    destination: str,
    destination_label: str = "",
    idempotency_key: str | None = None,
    reference: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by: WalletUser | None = None,
) -> Transaction:
    """Move `amount` from a user account into the system account `destination`
    (`destination_label` names a donation cause's account)."""
    _require_positive(amount)
    target = get_system_account(purpose=destination, asset=account.asset, label=destination_label)
    return post_transaction(
        type=type,
        legs=[Leg(account, -amount), Leg(target, amount)],
        idempotency_key=idempotency_key,
        reference=reference,
        description=description,
        metadata=metadata,
        initiated_by=initiated_by,
    )


def adjust(
    *,
    account: Account,
    amount: int,
    reason: str,
    initiated_by: WalletUser | None = None,
) -> Transaction:
    """A staff correction: a signed amount against the treasury, with a required reason."""
    if not reason or not reason.strip():
        raise ValidationError("An adjustment needs a reason.")
    if amount < 0:
        return debit(
            account=account,
            amount=-amount,
            type=TransactionType.ADJUSTMENT,
            destination=AccountPurpose.TREASURY,
            description=reason,
            metadata={"reason": reason},
            initiated_by=initiated_by,
        )
    return credit(
        account=account,
        amount=amount,
        type=TransactionType.ADJUSTMENT,
        source=AccountPurpose.TREASURY,
        description=reason,
        metadata={"reason": reason},
        initiated_by=initiated_by,
    )


def transfer(
    *,
    source: Account,
    destination: Account,
    amount: int,
    idempotency_key: str | None = None,
    reference: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    initiated_by: WalletUser | None = None,
) -> Transaction:
    """User to user, for transferable assets only. A frozen wallet neither sends nor
    receives transfers (the engine checks both on the locked rows)."""
    _require_positive(amount)
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
        idempotency_key=idempotency_key,
        reference=reference,
        description=description,
        metadata=metadata,
        initiated_by=initiated_by,
    )


def convert(
    *,
    source: Account,
    destination: Account,
    amount: int,
    initiated_by: WalletUser | None = None,
) -> Transaction:
    """Convert `amount` of the source asset at the configured rate: four entries, two assets.

    `amount` must be a whole multiple of the rate's from_amount; the rate is recorded in
    the transaction's metadata.
    """
    _require_positive(amount)
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
    pool_in = get_system_account(purpose=AccountPurpose.CONVERSION, asset=source.asset)
    pool_out = get_system_account(purpose=AccountPurpose.CONVERSION, asset=destination.asset)
    return post_transaction(
        type=TransactionType.CONVERT,
        legs=[
            Leg(source, -amount),
            Leg(pool_in, amount),
            Leg(pool_out, -converted),
            Leg(destination, converted),
        ],
        metadata={"rate": rate_shown},
        initiated_by=initiated_by,
    )
