import pytest
from django.db import IntegrityError, transaction

from ledger.models import AccountPurpose, OutboxEvent, TransactionType
from payments.errors import RefundExceedsPayment
from payments.models import Payment, Refund
from payments.services import payments
from tests.api import API, client_for, error_code
from tests.factories import wallet
from tests.threads import outcomes, run_in_threads


def pay(client, amount="12.50", order_id="order-1", user="me", **headers):
    return client.post(
        f"{API}wallets/{user}/payments",
        {"asset": "COIN", "amount": amount, "order_id": order_id, "service": "food"},
        format="json",
        headers=headers,
    )


def test_payment_spends_into_revenue_and_is_found_by_order_id(rich_alice, as_alice, as_service):
    response = pay(as_alice)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["refunded_amount"], body["status"]) == (
        "12.50",
        "0.00",
        "completed",
    )
    assert body["transaction"]["type"] == "SPEND"
    assert body["transaction"]["reference"] == "order-1"
    revenue = [e for e in body["transaction"]["entries"] if e["amount"] == "12.50"]
    assert len(revenue) == 1
    assert wallet(rich_alice, "COIN").balance == 100_000 - 1250
    pay(as_alice, order_id="order-2")
    found = as_service.get(f"{API}payments/?order_id=order-1").json()["results"]
    assert [p["id"] for p in found] == [body["id"]]
    assert OutboxEvent.objects.filter(topic="wallet.payment.created").count() == 2


def test_customers_see_only_their_own_payments(rich_alice, bob, as_alice):
    mine = pay(as_alice).json()

    assert client_for(bob).get(f"{API}payments/?order_id=order-1").json()["results"] == []
    assert client_for(bob).get(f"{API}payments/{mine['id']}").status_code == 404
    assert as_alice.get(f"{API}payments/{mine['id']}").json()["order_id"] == "order-1"


def test_partial_refunds_add_up_and_never_exceed_the_payment(
    rich_alice, as_alice, as_service, assert_reconciles
):
    payment = pay(as_alice, amount="10.00").json()
    url = f"{API}payments/{payment['id']}/refunds"

    first = as_service.post(url, {"amount": "4.00", "reason": "cold food"}, format="json")
    second = as_service.post(url, {"amount": "6.00", "reason": "late"}, format="json")
    third = as_service.post(url, {"amount": "0.01", "reason": "again"}, format="json")

    assert first.status_code == second.status_code == 201
    assert first.json()["transaction"]["type"] == TransactionType.REFUND
    assert (third.status_code, error_code(third)) == (409, "refund_exceeds_payment")
    assert third.json()["error"]["details"]["refundable"] == "0.00"
    shown = as_alice.get(f"{API}payments/{payment['id']}").json()
    assert (shown["refunded_amount"], shown["status"]) == ("10.00", "refunded")
    assert [r["amount"] for r in shown["refunds"]] == ["4.00", "6.00"]
    assert wallet(rich_alice, "COIN").balance == 100_000
    refund = Refund.objects.get(pk=first.json()["id"])
    source = refund.transaction.entries.get(amount=-400).account
    assert source.purpose == AccountPurpose.REVENUE
    assert_reconciles()


def test_only_staff_and_service_refund(rich_alice, as_alice, as_staff):
    payment = pay(as_alice).json()
    url = f"{API}payments/{payment['id']}/refunds"

    by_customer = as_alice.post(url, {"amount": "1.00", "reason": "me"}, format="json")
    by_staff = as_staff.post(url, {"amount": "1.00", "reason": "goodwill"}, format="json")
    no_reason = as_staff.post(url, {"amount": "1.00"}, format="json")

    assert (by_customer.status_code, error_code(by_customer)) == (403, "permission_denied")
    assert by_staff.status_code == 201
    assert error_code(no_reason) == "validation_error"


def test_refund_and_payment_honour_idempotency_key(rich_alice, as_alice, as_service):
    first = pay(as_alice, **{"Idempotency-Key": "p-1"})
    again = pay(as_alice, **{"Idempotency-Key": "p-1"})
    other = pay(as_alice, amount="1.00", **{"Idempotency-Key": "p-1"})
    url = f"{API}payments/{first.json()['id']}/refunds"
    request = {"amount": "2.00", "reason": "x"}
    refund = as_service.post(url, request, format="json", headers={"Idempotency-Key": "r-1"})
    replay = as_service.post(url, request, format="json", headers={"Idempotency-Key": "r-1"})

    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, error_code(other)) == (409, "idempotency_key_reused")
    assert replay.json() == refund.json()
    assert Payment.objects.count() == 1 and Refund.objects.count() == 1


def test_payment_errors(alice, as_alice):
    broke = pay(as_alice, amount="5.00")
    bad_order = pay(as_alice, order_id="has space")

    assert (broke.status_code, error_code(broke)) == (409, "insufficient_funds")
    assert (bad_order.status_code, error_code(bad_order)) == (400, "validation_error")
    assert Payment.objects.count() == 0


def test_refunds_of_a_payment_are_capped_by_the_database_too(rich_alice, as_alice):
    """The CHECK behind the row lock: refunded_amount can never pass the amount."""
    payment = Payment.objects.get(pk=pay(as_alice).json()["id"])

    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=payment.amount + 1)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_refunds_never_exceed_the_payment(rich_alice, staff, assert_reconciles):
    payment = payments.pay(
        user=rich_alice,
        asset=wallet(rich_alice, "COIN").asset,
        amount=1000,
        order_id="order-race",
        service="food",
    )

    results = run_in_threads(
        16,
        lambda i: payments.refund(
            payment_id=payment.pk, amount=150, reason=f"race {i}", created_by=staff
        ),
    )

    assert outcomes(results) == {"Refund": 6, "refund_exceeds_payment": 10}
    assert all(isinstance(r, Refund | RefundExceedsPayment) for r in results)
    payment.refresh_from_db()
    assert payment.refunded_amount == 900 and payment.status == "partially_refunded"
    assert wallet(rich_alice, "COIN").balance == 100_000 - 1000 + 900
    assert_reconciles()
