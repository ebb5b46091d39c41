"""Reads of money in and out. Never write, never lock."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from payments.models import Deposit, Payment, Refund, Withdrawal


def get_deposit(*, deposit_id: int) -> Deposit | None:
    return Deposit.objects.select_related("asset").filter(pk=deposit_id).first()


def get_withdrawal(*, withdrawal_id: int) -> Withdrawal | None:
    return Withdrawal.objects.select_related("asset", "approval").filter(pk=withdrawal_id).first()


def _payments() -> QuerySet[Payment]:
    return Payment.objects.select_related("asset").prefetch_related(
        Prefetch("refunds", queryset=Refund.objects.order_by("id"))
    )


def get_payment(*, payment_id: int) -> Payment | None:
    return _payments().filter(pk=payment_id).first()


def list_payments(
    *, user: User | None, order_id: str | None = None, service: str | None = None
) -> QuerySet[Payment]:
    """Payments newest first; `user` None: everyone's (a caller with view_any_payment)."""
    payments = _payments().order_by("-id")
    if user is not None:
        payments = payments.filter(user=user)
    if order_id:
        payments = payments.filter(order_id=order_id)
    if service:
        payments = payments.filter(service=service)
    return payments
