"""reconcile's checks of money in and out find what breaks them."""

from ledger.models import Transaction, TransactionType
from ledger.reconcile import check_ledger
from payments.models import Deposit, Payment, Withdrawal
from payments.services import deposits, payments, withdrawals
from tests.factories import wallet

CHECKS = [
    "withdrawal_hold_out_of_step",
    "refunds_exceed_payment",
    "deposits_not_equal_provider_topups",
    "succeeded_deposit_not_credited",
]


def test_reconcile_runs_the_payments_checks_and_finds_them_clean(rich_alice):
    coin = wallet(rich_alice, "COIN").asset
    deposit = deposits.create_deposit(
        user=rich_alice, asset=coin, amount=300, payment_method={"type": "card", "id": "pm"}
    )
    deposits.confirm_deposit(deposit_id=deposit.pk)
    payment = payments.pay(user=rich_alice, asset=coin, amount=500, order_id="o", service="s")
    payments.refund(payment_id=payment.pk, amount=200, reason="r")
    withdrawals.request_withdrawal(
        user=rich_alice,
        asset=coin,
        amount=100,
        account_number="12345678",
        bank_name="B",
        requested_by=rich_alice,
    )

    report = check_ledger()

    assert set(CHECKS) <= set(report.checked)
    assert report.ok, report.problems


def test_a_refund_total_out_of_step_and_a_released_open_withdrawal_are_found(rich_alice):
    coin = wallet(rich_alice, "COIN").asset
    payment = payments.pay(user=rich_alice, asset=coin, amount=500, order_id="o", service="s")
    withdrawal = withdrawals.request_withdrawal(
        user=rich_alice,
        asset=coin,
        amount=100,
        account_number="12345678",
        bank_name="B",
        requested_by=rich_alice,
    )
    # What a bug (or a hand-edited row) would leave behind.
    Payment.objects.filter(pk=payment.pk).update(refunded_amount=300)
    Withdrawal.objects.filter(pk=withdrawal.pk).update(status="cancelled")

    problems = check_ledger().problems

    assert problems["refunds_exceed_payment"]["count"] == 1
    assert problems["withdrawal_hold_out_of_step"]["count"] == 1


def test_a_succeeded_deposit_without_its_topup_is_found(rich_alice):
    coin = wallet(rich_alice, "COIN").asset
    deposit = deposits.create_deposit(
        user=rich_alice, asset=coin, amount=300, payment_method={"type": "card", "id": "pm"}
    )
    deposits.confirm_deposit(deposit_id=deposit.pk)
    other = deposits.create_deposit(
        user=rich_alice, asset=coin, amount=700, payment_method={"type": "card", "id": "pm"}
    )
    # Marked succeeded by hand (the CHECK wants a transaction: the treasury's top-up).
    treasury_topup = Transaction.objects.filter(type=TransactionType.TOPUP).order_by("id").first()
    Deposit.objects.filter(pk=other.pk).update(status="succeeded", transaction=treasury_topup)

    problems = check_ledger().problems

    assert problems["deposits_not_equal_provider_topups"]["count"] == 1
    assert problems["succeeded_deposit_not_credited"]["count"] == 1
