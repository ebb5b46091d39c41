import pytest

from tests.api import API, client_for, error_code
from tests.factories import earn, spend, wallet

pytestmark = pytest.mark.django_db


def test_transaction_detail_for_its_owner(as_alice, alice):
    txn = spend(alice, 30)

    response = as_alice.get(f"{API}transactions/{txn.pk}")

    assert response.status_code == 200
    assert response.json()["id"] == txn.pk
    assert response.json()["balances"] == {"GOLD": "70"}


def test_another_customers_transaction_is_404(as_alice, bob):
    txn = spend(bob, 30)

    assert as_alice.get(f"{API}transactions/{txn.pk}/").status_code == 404
    assert as_alice.get(f"{API}transactions/999999").status_code == 404


def test_staff_reverses_a_transaction_once(staff, alice):
    txn = spend(alice, 30)
    client = client_for(staff)

    first = client.post(f"{API}transactions/{txn.pk}/reverse", {"reason": "refund"}, format="json")
    second = client.post(f"{API}transactions/{txn.pk}/reverse", {"reason": "refund"}, format="json")

    assert first.status_code == 201
    assert first.json()["type"] == "REVERSAL"
    assert first.json()["reverses"] == txn.pk
    assert second.status_code == 409
    assert error_code(second) == "already_reversed"
    assert wallet(alice, "GOLD").balance == 100


def test_reversing_a_spent_credit_is_409_insufficient_funds(staff, alice):
    earned = earn(alice, 10)
    spend(alice, 5, "SILVER")

    response = client_for(staff).post(
        f"{API}transactions/{earned.pk}/reverse", {"reason": "fraud"}, format="json"
    )

    assert response.status_code == 409
    assert error_code(response) == "insufficient_funds"


def test_reverse_needs_a_reason(staff, alice):
    txn = spend(alice, 30)

    response = client_for(staff).post(f"{API}transactions/{txn.pk}/reverse", {}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()["error"]["details"]


def test_a_customer_cannot_reverse_even_their_own_transaction(as_alice, alice):
    txn = spend(alice, 30)

    response = as_alice.post(f"{API}transactions/{txn.pk}/reverse", {"reason": "x"}, format="json")

    assert response.status_code == 403
    assert wallet(alice, "GOLD").balance == 70


def test_reverse_of_an_unknown_transaction_is_404(staff):
    response = client_for(staff).post(
        f"{API}transactions/424242/reverse", {"reason": "x"}, format="json"
    )

    assert response.status_code == 404
    assert error_code(response) == "not_found"
