import pytest

from ledger.models import Hold
from tests.api import API, client_for, error_code
from tests.factories import wallet

pytestmark = pytest.mark.django_db


def place(client, user="me", **payload):
    return client.post(
        f"{API}wallets/{user}/holds", {"asset": "GOLD", "amount": 60, **payload}, format="json"
    )


def test_place_hold_reserves_funds(as_alice, alice):
    response = place(as_alice, reference="order-9", expires_in=600)

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["amount"], body["reference"]) == ("PENDING", "60", "order-9")
    assert body["expires_at"] is not None
    balances = {w["asset"]: w for w in as_alice.get(f"{API}wallets/me").json()["wallets"]}
    assert (
        balances["GOLD"]["balance"],
        balances["GOLD"]["held"],
        balances["GOLD"]["available"],
    ) == ("100", "60", "40")


def test_place_hold_beyond_available_is_409(as_alice):
    place(as_alice)

    response = place(as_alice, amount=41)

    assert response.status_code == 409
    assert error_code(response) == "insufficient_funds"


def test_capture_less_than_held_releases_the_rest(as_alice, alice):
    hold_id = place(as_alice).json()["id"]

    response = as_alice.post(f"{API}holds/{hold_id}/capture", {"amount": 45}, format="json")

    assert response.status_code == 201
    assert response.json()["type"] == "CAPTURE"
    assert response.json()["balances"] == {"GOLD": "55"}
    gold = wallet(alice, "GOLD")
    assert (gold.balance, gold.held) == (55, 0)


def test_capture_without_amount_takes_all_of_it(as_alice, alice):
    hold_id = place(as_alice).json()["id"]

    assert as_alice.post(f"{API}holds/{hold_id}/capture/", {}, format="json").status_code == 201
    assert wallet(alice, "GOLD").balance == 40


def test_capture_more_than_held_is_409_capture_exceeds_hold(as_alice, alice):
    hold_id = place(as_alice).json()["id"]

    response = as_alice.post(f"{API}holds/{hold_id}/capture", {"amount": 61}, format="json")

    assert response.status_code == 409
    assert error_code(response) == "capture_exceeds_hold"
    assert wallet(alice, "GOLD").held == 60


@pytest.mark.parametrize("first", ["capture", "void"])
@pytest.mark.parametrize("then", ["capture", "void"])
def test_capture_or_void_of_a_finished_hold_is_409_hold_not_pending(as_alice, first, then):
    hold_id = place(as_alice).json()["id"]
    as_alice.post(f"{API}holds/{hold_id}/{first}", {}, format="json")

    response = as_alice.post(f"{API}holds/{hold_id}/{then}", {}, format="json")

    assert response.status_code == 409
    assert error_code(response) == "hold_not_pending"


def test_void_releases_the_hold(as_alice, alice):
    hold_id = place(as_alice).json()["id"]

    response = as_alice.post(f"{API}holds/{hold_id}/void", format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "VOIDED"
    assert wallet(alice, "GOLD").held == 0


def test_another_customers_hold_is_404(as_alice, bob):
    hold_id = place(client_for(bob)).json()["id"]

    for action in ("capture", "void"):
        response = as_alice.post(f"{API}holds/{hold_id}/{action}", {}, format="json")
        assert response.status_code == 404
    assert as_alice.get(f"{API}holds/{hold_id}").status_code == 404
    assert Hold.objects.get(pk=hold_id).status == Hold.Status.PENDING


def test_service_holds_and_captures_on_any_wallet(service, alice):
    client = client_for(service)
    hold_id = place(client, user=alice.pk).json()["id"]

    response = client.post(f"{API}holds/{hold_id}/capture", {"amount": "10"}, format="json")

    assert response.status_code == 201
    assert wallet(alice, "GOLD").balance == 90
