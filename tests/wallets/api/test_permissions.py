"""Each role against each endpoint, on another user's wallet (bob's) and on their own."""

import pytest

from tests.api import API, client_for
from tests.factories import create_role_user, fund, spend, wallet

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "customer", "service", "support", "staff"]

# (method, path on bob's wallet, body, expected status per role in ROLES order)
MATRIX = [
    ("get", "wallets/{bob}", None, [401, 404, 403, 200, 200]),
    ("get", "wallets/{bob}/transactions", None, [401, 404, 403, 200, 200]),
    ("post", "wallets/{bob}/spend", {"asset": "GOLD", "amount": 1}, [401, 404, 403, 403, 201]),
    (
        "post",
        "wallets/{bob}/transfer",
        {"to": "{alice}", "asset": "COIN", "amount": 1},
        [401, 404, 403, 403, 201],
    ),
    (
        "post",
        "wallets/{bob}/convert",
        {"from_asset": "GOLD", "to_asset": "DIAMOND", "amount": 50},
        [401, 404, 403, 403, 201],
    ),
    ("post", "wallets/{bob}/earn", {"asset": "SILVER", "amount": 1}, [401, 404, 201, 403, 201]),
    ("post", "wallets/{bob}/topup", {"asset": "SILVER", "amount": 1}, [401, 404, 201, 403, 201]),
    ("post", "wallets/{bob}/bonus", {"asset": "SILVER", "amount": 1}, [401, 404, 201, 403, 201]),
    ("post", "wallets/{bob}/holds", {"asset": "GOLD", "amount": 1}, [401, 404, 201, 403, 201]),
    ("get", "transactions/{txn}", None, [401, 404, 404, 200, 200]),
    ("post", "transactions/{txn}/reverse", {"reason": "x"}, [401, 404, 404, 403, 201]),
    ("get", "assets", None, [200, 200, 200, 200, 200]),
    ("get", "conversions", None, [200, 200, 200, 200, 200]),
]


def fill(template, values):
    if isinstance(template, str):
        filled = template.format(**values)
        return int(filled) if filled.isdigit() and template.startswith("{") else filled
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    return template


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_role_against_another_users_wallet(alice, bob, role, method, path, body, expected):
    fund(wallet(bob, "COIN"), 100)
    txn = spend(bob, 1)
    caller = (
        {"anonymous": None, "customer": alice}[role]
        if role in ("anonymous", "customer")
        else create_role_user(role)
    )
    values = {"bob": bob.pk, "alice": alice.pk, "txn": txn.pk}

    response = getattr(client_for(caller), method)(
        f"{API}{fill(path, values)}", fill(body, values), format="json"
    )

    assert response.status_code == expected[ROLES.index(role)], response.content


SELF = [
    ("get", "wallets/me", None, 200),
    ("get", "wallets/me/transactions", None, 200),
    ("post", "wallets/me/spend", {"asset": "GOLD", "amount": 1}, 201),
    ("post", "wallets/me/earn", {"asset": "SILVER", "amount": 1}, 403),
    ("post", "wallets/me/topup", {"asset": "SILVER", "amount": 1}, 403),
    ("post", "wallets/me/bonus", {"asset": "SILVER", "amount": 1}, 403),
    ("post", "wallets/me/holds", {"asset": "GOLD", "amount": 1}, 201),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), SELF, ids=[f"{m} {p}" for m, p, _, _ in SELF]
)
def test_customer_on_their_own_wallet(as_alice, method, path, body, expected):
    response = getattr(as_alice, method)(f"{API}{path}", body, format="json")

    assert response.status_code == expected
