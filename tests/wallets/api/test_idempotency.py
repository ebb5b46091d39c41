import pytest

from ledger.models import Transaction
from tests.api import API, client_for, error_code
from tests.factories import fund, wallet
from tests.threads import outcomes, run_in_threads

SPEND = f"{API}wallets/me/spend"


def post(client, url, body, key):
    return client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_replay_returns_the_first_response_and_moves_nothing(as_alice, alice):
    first = post(as_alice, SPEND, {"asset": "GOLD", "amount": 30}, "k1")
    replay = post(as_alice, SPEND + "/", {"asset": "GOLD", "amount": 30}, "k1")

    assert first.status_code == replay.status_code == 201
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert wallet(alice, "GOLD").balance == 70


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_409(as_alice, alice):
    post(as_alice, SPEND, {"asset": "GOLD", "amount": 30}, "k1")

    response = post(as_alice, SPEND, {"asset": "GOLD", "amount": 31}, "k1")

    assert response.status_code == 409
    assert error_code(response) == "idempotency_key_reused"
    assert wallet(alice, "GOLD").balance == 70


@pytest.mark.django_db
def test_the_same_key_on_another_route_is_409(as_alice, alice):
    post(as_alice, SPEND, {"asset": "GOLD", "amount": 30}, "k1")

    response = post(as_alice, f"{API}wallets/me/holds", {"asset": "GOLD", "amount": 30}, "k1")

    assert error_code(response) == "idempotency_key_reused"
    assert wallet(alice, "GOLD").held == 0


@pytest.mark.django_db
def test_a_refusal_is_replayed_even_after_funds_arrive(as_alice, alice):
    refused = post(as_alice, SPEND, {"asset": "GOLD", "amount": 150}, "k1")
    fund(wallet(alice, "GOLD"), 100)

    replay = post(as_alice, SPEND, {"asset": "GOLD", "amount": 150}, "k1")

    assert refused.status_code == replay.status_code == 409
    assert error_code(replay) == "insufficient_funds"
    assert replay["Idempotent-Replayed"] == "true"
    assert wallet(alice, "GOLD").balance == 200


@pytest.mark.django_db
def test_a_malformed_request_is_not_stored(as_alice, alice):
    malformed = post(as_alice, SPEND, {"asset": "GOLD", "amount": "thirty"}, "k1")
    corrected = post(as_alice, SPEND, {"asset": "GOLD", "amount": 30}, "k1")

    assert malformed.status_code == 400
    assert corrected.status_code == 201
    assert wallet(alice, "GOLD").balance == 70


@pytest.mark.django_db
def test_keys_are_scoped_per_caller(as_alice, alice, bob):
    post(as_alice, SPEND, {"asset": "GOLD", "amount": 30}, "shared")

    response = post(client_for(bob), SPEND, {"asset": "GOLD", "amount": 40}, "shared")

    assert response.status_code == 201
    assert wallet(bob, "GOLD").balance == 60


@pytest.mark.django_db
def test_an_overlong_key_is_400(as_alice):
    response = post(as_alice, SPEND, {"asset": "GOLD", "amount": 1}, "k" * 256)

    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_requests_post_once_and_get_the_same_answer(alice, assert_reconciles):
    body = {"asset": "GOLD", "amount": 30}

    def send(_):
        response = post(client_for(alice), SPEND, body, "race")
        return response.status_code, response.json()["id"]

    results = run_in_threads(12, send)

    assert outcomes(results) == {"tuple": 12}
    assert {result for result in results} == {(201, results[0][1])}
    assert Transaction.objects.filter(type="SPEND").count() == 1
    assert wallet(alice, "GOLD").balance == 70
    assert_reconciles()
