"""Payments for other services' orders, and their refunds.

A payment is a SPEND from the wallet into REVENUE with the order id as its reference;
a refund is a REFUND from REVENUE back to the wallet. Refunds of one payment are taken
one at a time under the payment's row lock, where `refunded_amount` is read and
raised: concurrent refunds can never add up past the payment (and the CHECK
`refunded_amount <= amount` would refuse the commit if they did).
"""

from django.db import transaction as db_transaction

from accounts.models import User
from core.amounts import format_amount
from core.errors import NotFound, ValidationError
from ledger import services as ledger
from ledger.models import AccountPurpose, Asset, TransactionType
from payments.errors import RefundExceedsPayment
from payments.events import emit
from payments.models import Payment, Refund
from wallets.services import get_wallet


def pay(
    *,
    user: User,
    asset: Asset,
    amount: int,
    order_id: str,
    service: str,
    initiated_by: User | None = None,
) -> Payment:
    """Spend `amount` for an order (SPEND into REVENUE) and record the payment. Raises
    InsufficientFunds and WalletFrozen from the posting engine."""
    wallet = get_wallet(user=user, asset=asset)
    with db_transaction.atomic():
        txn = ledger.debit(
            account=wallet,
            amount=amount,
            type=TransactionType.SPEND,
            destination=AccountPurpose.REVENUE,
            reference=order_id,
            description=f"{service} order {order_id}",
            metadata={"order_id": order_id, "service": service},
            initiated_by=initiated_by,
        )
        payment = Payment.objects.create(
            user=user,
            account_id=wallet.pk,
            asset=asset,
            amount=amount,
            order_id=order_id,
            service=service,
            transaction=txn,
            initiated_by=initiated_by,
        )
        emit(
            "wallet.payment.created",
            amount=amount,
            asset=asset,
            payment_id=payment.pk,
            user_id=user.pk,
            order_id=order_id,
            service=service,
            transaction_id=txn.pk,
        )
    return payment


def refund(*, payment_id: int, amount: int, reason: str, created_by: User | None = None) -> Refund:
    """Return `amount` of the payment to the wallet (a REFUND from REVENUE).

    Raises RefundExceedsPayment when refunds so far plus this one would exceed the
    payment, ValidationError without a reason, NotFound for an unknown payment.
    """
    if not reason or not reason.strip():
        raise ValidationError("A refund needs a reason.", details={"reason": ["Required."]})
    if amount <= 0:
        raise ValidationError("Amount must be greater than zero.")
    with db_transaction.atomic():
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("asset", "account")
            .filter(pk=payment_id)
            .first()
        )
        if payment is None:
            raise NotFound("Payment not found.")
        if amount > payment.refundable:
            scale = payment.asset.scale
            raise RefundExceedsPayment(
                details={
                    "paid": format_amount(payment.amount, scale=scale),
                    "refunded": format_amount(payment.refunded_amount, scale=scale),
                    "refundable": format_amount(payment.refundable, scale=scale),
                }
            )
        account = payment.account
        account.asset = payment.asset
        txn = ledger.credit(
            account=account,
            amount=amount,
            type=TransactionType.REFUND,
            source=AccountPurpose.REVENUE,
            reference=payment.order_id,
            description=reason,
            metadata={"payment_id": payment.pk, "order_id": payment.order_id, "reason": reason},
            initiated_by=created_by,
        )
        created = Refund.objects.create(
            payment=payment, amount=amount, reason=reason, transaction=txn, created_by=created_by
        )
        payment.refunded_amount += amount
        payment.status = (
            Payment.Status.REFUNDED
            if payment.refunded_amount == payment.amount
            else Payment.Status.PARTIALLY_REFUNDED
        )
        payment.save(update_fields=["refunded_amount", "status"])
        emit(
            "wallet.refund.created",
            amount=amount,
            asset=payment.asset,
            refund_id=created.pk,
            payment_id=payment.pk,
            user_id=payment.user_id,
            order_id=payment.order_id,
            transaction_id=txn.pk,
            reason=reason,
        )
    return created
