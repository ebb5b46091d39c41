from ledger.models import Transaction
from payments.models import ApprovalRequest, Deposit, Payment, Withdrawal
from rewards.demo import seed_demo


def test_seed_demo_adds_a_deposit_a_waiting_withdrawal_and_a_refunded_payment(
    db, assert_reconciles
):
    counts = seed_demo()
    transactions = Transaction.objects.count()
    seed_demo()

    assert Transaction.objects.count() == transactions  # seeding twice changes nothing
    assert (counts["deposits"], counts["withdrawals"], counts["payments"]) == (1, 1, 1)
    assert Deposit.objects.get().status == "succeeded"
    withdrawal = Withdrawal.objects.get()
    assert withdrawal.status == "requested"
    assert ApprovalRequest.objects.get(withdrawal=withdrawal).status == "pending"
    payment = Payment.objects.get()
    assert payment.status == "partially_refunded" and payment.refunds.count() == 1
    assert payment.user.email == "carol@example.com"
    assert_reconciles()
