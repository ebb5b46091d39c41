import pytest

from ledger.models import Transaction, TransactionType
from tests.api import API, client_for, error_code

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def test_signup_creates_user_wallets_and_the_gold_grant(assets):
    response = client_for().post(
        f"{API}auth/signup",
        {"email": "Ana@Example.com", "password": "correct horse 42", "name": "Ana"},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "ana@example.com"
    assert body["user"]["roles"] == ["customer"]
    wallets = {wallet["asset"]: wallet for wallet in body["wallets"]}
    assert set(wallets) == {"SILVER", "GOLD", "DIAMOND", "CITY_POINTS", "COIN"}
    assert wallets["GOLD"]["balance"] == "100"
    assert wallets["COIN"]["balance"] == "0.00"
    grant = Transaction.objects.get(entries__account__user_id=body["user"]["id"])
    assert grant.type == TransactionType.BONUS


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": "correct horse 42"}, "email"),
        ({"email": "ana@example.com", "password": "123"}, "password"),
        ({"email": "ana@example.com", "password": "password"}, "password"),
        ({"email": "ana@example.com"}, "password"),
    ],
)
def test_signup_with_bad_input_is_refused(assets, payload, field):
    response = client_for().post(f"{API}auth/signup", payload, format="json")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert field in response.json()["error"]["details"]
    assert not Transaction.objects.exists()


def test_signup_with_a_taken_email_is_refused(alice):
    response = client_for().post(
        f"{API}auth/signup",
        {"email": "ALICE@example.com", "password": "correct horse 42"},
        format="json",
    )

    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]


def test_login_returns_tokens_that_open_me(alice):
    tokens = client_for().post(
        f"{API}auth/login/", {"email": "alice@example.com", "password": PASSWORD}, format="json"
    )
    assert tokens.status_code == 200

    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    me = client.get(f"{API}auth/me")

    assert me.status_code == 200
    assert me.json()["email"] == "alice@example.com"


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)],
)
def test_login_with_bad_credentials_is_401_invalid_credentials(alice, email, password):
    response = client_for().post(
        f"{API}auth/login", {"email": email, "password": password}, format="json"
    )

    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"


def test_login_without_a_password_is_400(alice):
    response = client_for().post(f"{API}auth/login", {"email": "alice@example.com"}, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]


def test_refresh_rotates_and_the_old_refresh_token_stops_working(alice):
    tokens = (
        client_for()
        .post(
            f"{API}auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
        )
        .json()
    )

    first = client_for().post(f"{API}auth/refresh", {"refresh": tokens["refresh"]}, format="json")
    again = client_for().post(f"{API}auth/refresh", {"refresh": tokens["refresh"]}, format="json")

    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert again.status_code == 401
    assert error_code(again) == "not_authenticated"


def test_a_disabled_users_tokens_stop_working(alice):
    tokens = (
        client_for()
        .post(
            f"{API}auth/login", {"email": "alice@example.com", "password": PASSWORD}, format="json"
        )
        .json()
    )
    alice.is_active = False
    alice.save()

    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    refreshed = client_for().post(
        f"{API}auth/refresh", {"refresh": tokens["refresh"]}, format="json"
    )

    assert client.get(f"{API}auth/me").status_code == 401
    assert refreshed.status_code == 401


def test_me_without_a_token_is_401(assets):
    response = client_for().get(f"{API}auth/me")

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_me_with_a_garbage_token_is_401(assets):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")

    assert error_code(client.get(f"{API}auth/me")) == "not_authenticated"


def test_signup_then_spend_end_to_end(assets):
    client = client_for()
    client.post(
        f"{API}auth/signup",
        {"email": "eve@example.com", "password": "correct horse 42"},
        format="json",
    )
    tokens = client.post(
        f"{API}auth/login",
        {"email": "eve@example.com", "password": "correct horse 42"},
        format="json",
    )
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")

    spent = client.post(f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "30"}, format="json")

    assert spent.status_code == 201
    assert spent.json()["balances"] == {"GOLD": "70"}
