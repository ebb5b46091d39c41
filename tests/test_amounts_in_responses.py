"""Every amount the API answers is a decimal string in the asset's scale, nested
metadata and error details included."""

import pytest

from ledger.services import place_hold
from rewards.models import Item, Reward, Task
from tests.api import API
from tests.factories import fund, wallet

pytestmark = pytest.mark.django_db

# Keys that hold an amount wherever they appear ("reward" is also an id, so it is
# checked by path below).
AMOUNT_KEYS = {
    "amount",
    "balance",
    "balance_after",
    "held",
    "available",
    "requested",
    "expiring_30d",
    "captured_amount",
    "from_amount",
    "to_amount",
    "price",
    "cost",
    "earned",
    "multiple_of",
}


def numbers_under_amount_keys(value, path: str = "") -> list[str]:
    """The paths of amount keys whose value is not a string (None aside)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in AMOUNT_KEYS and item is not None and not isinstance(item, str):
                found.append(f"{where}={item!r}")
            found += numbers_under_amount_keys(item, where)
        if path.endswith(".balances"):
            found += [f"{path}.{k}={v!r}" for k, v in value.items() if not isinstance(v, str)]
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += numbers_under_amount_keys(item, f"{path}[{index}]")
    return found


def test_the_convert_transaction_shows_its_rate_as_decimal_strings(as_alice, alice):
    fund(wallet(alice, "SILVER"), 120)

    posted = as_alice.post(
        f"{API}wallets/me/convert",
        {"from_asset": "SILVER", "to_asset": "GOLD", "amount": 100},
        format="json",
    ).json()
    shown = as_alice.get(f"{API}transactions/{posted['id']}").json()

    assert posted["metadata"]["rate"] == {"from_amount": "50", "to_amount": "1"}
    assert shown["metadata"]["rate"] == {"from_amount": "50", "to_amount": "1"}


def test_error_details_show_amounts_in_the_assets_units(as_alice, alice):
    fund(wallet(alice, "SILVER"), 120)
    fund(wallet(alice, "COIN"), 1000)
    hold = place_hold(account=wallet(alice, "COIN"), amount=125)

    not_a_multiple = as_alice.post(
        f"{API}wallets/me/convert",
        {"from_asset": "SILVER", "to_asset": "GOLD", "amount": 75},
        format="json",
    )
    too_much = as_alice.post(f"{API}holds/{hold.pk}/capture", {"amount": "2"}, format="json")

    assert not_a_multiple.json()["error"]["details"] == {"multiple_of": "50"}
    assert too_much.json()["error"]["details"] == {"held": "1.25"}


def test_every_amount_in_every_response_is_a_decimal_string(as_alice, alice, bob, assets):
    # given a ledger with every kind of amount in it, on a two-decimal asset too
    fund(wallet(alice, "SILVER"), 200)
    fund(wallet(alice, "COIN"), 1000)
    Item.objects.create(name="Hat", asset=assets["COIN"], price=250)
    Reward.objects.create(name="Tea", kind="VOUCHER", asset=assets["COIN"], cost=125)
    Task.objects.create(title="Walk", asset=assets["COIN"], reward=525)
    hold = place_hold(account=wallet(alice, "COIN"), amount=300)
    posts = [
        (f"{API}wallets/me/convert", {"from_asset": "SILVER", "to_asset": "GOLD", "amount": 100}),
        (f"{API}wallets/me/spend", {"asset": "COIN", "amount": "2.5", "metadata": {"n": 1}}),
        (f"{API}wallets/me/transfer", {"asset": "COIN", "amount": "1.25", "to": bob.pk}),
        (f"{API}wallets/me/holds", {"asset": "COIN", "amount": "0.75"}),
        (f"{API}holds/{hold.pk}/capture", {"amount": "1.50"}),
        (f"{API}wallets/me/spend", {"asset": "COIN", "amount": "9999"}),  # insufficient
    ]

    # when every response is collected
    responses = [as_alice.post(path, body, format="json") for path, body in posts]
    convert_id = responses[0].json()["id"]
    gets = [
        "wallets/me",
        "wallets/me/transactions",
        f"transactions/{convert_id}",
        f"holds/{hold.pk}",
        "conversions",
        "items",
        "rewards",
        "tasks",
        "leaderboard?asset=GOLD",
    ]
    responses += [as_alice.get(f"{API}{path}") for path in gets]

    # then no amount anywhere is a number
    assert [r.status_code for r in responses] == [201] * 5 + [409] + [200] * len(gets)
    for response in responses:
        assert numbers_under_amount_keys(response.json()) == [], response.request["PATH_INFO"]
    assert [task["reward"] for task in responses[-2].json()] == ["5.25"]
