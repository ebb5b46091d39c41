"""spend, transfer, convert, earn, topup, bonus through the API: success and each error."""

import pytest

from ledger.models import Account, Entry, Transaction
from ledger.services import set_account_status
from tests.api import API, client_for, error_code
from tests.factories import fund, wallet

pytestmark = pytest.mark.django_db


def ledger_size() -> tuple[int, int]:
    return Transaction.objects.count(), Entry.objects.count()


def test_spend_answers_201_with_the_transaction(as_alice, alice):
    response = as_alice.post(
        f"{API}wallets/me/spend",
        {"asset": "GOLD", "amount": 30, "description": "sword", "metadata": {"item": 7}},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "SPEND"
    assert body["description"] == "sword"
    assert body["metadata"] == {"item": 7}
    assert body["balances"] == {"GOLD": "70"}
    assert {(e["account"], e["amount"]) for e in body["entries"]} == {
        ("USER", "-30"),
        ("REVENUE", "30"),
    }
    assert wallet(alice, "GOLD").balance == 70


def test_spend_accepts_the_path_with_a_trailing_slash_and_own_id(as_alice, alice):
    response = as_alice.post(
        f"{API}wallets/{alice.pk}/spend/", {"asset": "GOLD", "amount": "1"}, format="json"
    )

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"asset": "GOLD", "amount": 0}, "amount"),
        ({"asset": "GOLD", "amount": -5}, "amount"),
        ({"asset": "GOLD", "amount": "1.5"}, "amount"),
        ({"asset": "GOLD", "amount": 1.5}, "amount"),
        ({"asset": "GOLD", "amount": "abc"}, "amount"),
        ({"asset": "GOLD", "amount": "NaN"}, "amount"),
        ({"asset": "GOLD", "amount": 10**16}, "amount"),
        ({"asset": "GOLD", "amount": "1e400"}, "amount"),
        ({"asset": "GOLD", "amount": True}, "amount"),
        ({"asset": "GOLD"}, "amount"),
        ({"asset": "NOPE", "amount": 1}, "asset"),
        ({"amount": 1}, "asset"),
        ({"asset": "GOLD", "amount": 1, "metadata": [1, 2]}, "metadata"),
    ],
)
def test_spend_with_bad_input_is_400_and_changes_nothing(as_alice, alice, payload, field):
    before = ledger_size()

    response = as_alice.post(f"{API}wallets/me/spend", payload, format="json")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert field in response.json()["error"]["details"]
    assert ledger_size() == before


def test_spend_decimal_amount_on_a_scaled_asset(as_alice, alice):
    fund(wallet(alice, "COIN"), 1000)

    response = as_alice.post(
        f"{API}wallets/me/spend", {"asset": "COIN", "amount": "2.5"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["balances"] == {"COIN": "7.50"}


def test_spend_beyond_the_balance_is_409_insufficient_funds(as_alice, alice):
    before = ledger_size()

    response = as_alice.post(
        f"{API}wallets/me/spend", {"asset": "GOLD", "amount": 101}, format="json"
    )

    assert response.status_code == 409
    assert error_code(response) == "insufficient_funds"
    assert response.json()["error"]["details"]["available"] == "100"
    assert ledger_size() == before


def test_spend_from_a_frozen_wallet_is_409_wallet_frozen(as_alice, alice):
    set_account_status(account=wallet(alice, "GOLD"), status=Account.Status.FROZEN)

    response = as_alice.post(
        f"{API}wallets/me/spend", {"asset": "GOLD", "amount": 1}, format="json"
    )

    assert response.status_code == 409
    assert error_code(response) == "wallet_frozen"


def test_transfer_moves_coin_to_another_user(as_alice, alice, bob):
    fund(wallet(alice, "COIN"), 1000)

    response = as_alice.post(
        f"{API}wallets/me/transfer",
        {"to": bob.pk, "asset": "COIN", "amount": "4.25", "note": "lunch"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "TRANSFER"
    assert body["balances"] == {"COIN": "5.75"}
    bobs_entry = next(e for e in body["entries"] if e["user"] == bob.pk)
    assert bobs_entry["amount"] == "4.25"
    assert bobs_entry["balance_after"] is None  # bob's balance is not alice's business
    assert wallet(bob, "COIN").balance == 425


def test_transfer_of_a_non_transferable_asset_is_409(as_alice, bob):
    response = as_alice.post(
        f"{API}wallets/me/transfer", {"to": bob.pk, "asset": "GOLD", "amount": 1}, format="json"
    )

    assert response.status_code == 409
    assert error_code(response) == "asset_not_transferable"


@pytest.mark.parametrize("recipient", ["self", 999_999, None])
def test_transfer_to_oneself_or_nobody_is_400(as_alice, alice, recipient):
    fund(wallet(alice, "COIN"), 100)
    payload = {"asset": "COIN", "amount": 1}
    if recipient is not None:
        payload["to"] = alice.pk if recipient == "self" else recipient

    response = as_alice.post(f"{API}wallets/me/transfer", payload, format="json")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert wallet(alice, "COIN").balance == 100


def test_convert_silver_to_gold(as_alice, alice):
    fund(wallet(alice, "SILVER"), 120)

    response = as_alice.post(
        f"{API}wallets/me/convert",
        {"from_asset": "SILVER", "to_asset": "GOLD", "amount": 100},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["balances"] == {"SILVER": "20", "GOLD": "102"}


@pytest.mark.parametrize(
    "payload",
    [
        {"from_asset": "SILVER", "to_asset": "GOLD", "amount": 75},
        {"from_asset": "GOLD", "to_asset": "SILVER", "amount": 50},
        {"from_asset": "GOLD", "to_asset": "GOLD", "amount": 50},
    ],
)
def test_convert_not_allowed_is_400(as_alice, alice, payload):
    fund(wallet(alice, "SILVER"), 120)
    before = ledger_size()

    response = as_alice.post(f"{API}wallets/me/convert", payload, format="json")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert ledger_size() == before


@pytest.mark.parametrize(
    ("route", "type", "payload"),
    [
        ("earn", "EARN", {"reason": "task", "reference": "incident_001"}),
        ("topup", "TOPUP", {"metadata": {"order": "A-1"}}),
        ("bonus", "BONUS", {"reason": "welcome back"}),
    ],
)
def test_service_credits_any_wallet(service, alice, route, type, payload):
    response = client_for(service).post(
        f"{API}wallets/{alice.pk}/{route}",
        {"asset": "SILVER", "amount": 15, **payload},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["type"] == type
    assert response.json()["balances"] == {"SILVER": "15"}
    assert Transaction.objects.get(pk=response.json()["id"]).initiated_by == service


@pytest.mark.parametrize("route", ["earn", "topup", "bonus"])
def test_a_customer_cannot_credit_even_their_own_wallet(as_alice, alice, route):
    response = as_alice.post(
        f"{API}wallets/me/{route}", {"asset": "SILVER", "amount": 15}, format="json"
    )

    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert wallet(alice, "SILVER").balance == 0
