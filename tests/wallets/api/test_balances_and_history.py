from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ledger.models import AccountPurpose, Asset, TransactionType
from ledger.services import convert, credit, debit
from tests.api import API, client_for, error_code
from tests.factories import earn, fund, spend, wallet

pytestmark = pytest.mark.django_db


def test_balances_show_every_asset_with_held_available_and_expiring(as_alice, alice):
    with time_machine.travel(timezone.now() - timedelta(days=350)):
        earn(alice, 8, "CITY_POINTS")
    earn(alice, 5, "CITY_POINTS")

    response = as_alice.get(f"{API}wallets/me/")

    assert response.status_code == 200
    wallets = {w["asset"]: w for w in response.json()["wallets"]}
    assert wallets["CITY_POINTS"] == {
        "asset": "CITY_POINTS",
        "balance": "13",
        "held": "0",
        "available": "13",
        "status": "ACTIVE",
        "expiring_30d": "8",
    }
    assert wallets["GOLD"]["balance"] == "100"


def test_history_is_newest_first_with_the_owners_signed_entries(as_alice, alice, bob):
    fund(wallet(alice, "SILVER"), 100)
    convert(source=wallet(alice, "SILVER"), destination=wallet(alice, "GOLD"), amount=50)
    spend(alice, 7)
    spend(bob, 9)

    rows = as_alice.get(f"{API}wallets/me/transactions").json()["results"]

    assert [row["type"] for row in rows] == ["SPEND", "CONVERT", "TOPUP", "BONUS"]
    assert rows[0]["entries"] == [{"asset": "GOLD", "amount": "-7", "balance_after": "94"}]
    assert {(e["asset"], e["amount"]) for e in rows[1]["entries"]} == {
        ("SILVER", "-50"),
        ("GOLD", "1"),
    }


@pytest.mark.parametrize(
    ("query", "types"),
    [
        ("type=spend", ["SPEND"]),
        ("type=SPEND", ["SPEND"]),
        ("asset=SILVER", ["TOPUP"]),
        ("search=sword", ["SPEND"]),
        ("search=order-5", ["TOPUP"]),
    ],
)
def test_history_filters(as_alice, alice, query, types):
    credit(
        account=wallet(alice, "SILVER"),
        amount=5,
        type=TransactionType.TOPUP,
        source=AccountPurpose.TREASURY,
        reference="order-5",
    )
    debit(
        account=wallet(alice, "GOLD"),
        amount=7,
        type=TransactionType.SPEND,
        destination=AccountPurpose.REVENUE,
        description="Bought a sword",
    )

    rows = as_alice.get(f"{API}wallets/me/transactions?{query}").json()["results"]

    assert [row["type"] for row in rows] == types


def test_history_since_and_until_take_dates_and_datetimes(as_alice, alice):
    with time_machine.travel("2026-03-01 10:00Z", tick=False):
        spent_march = spend(alice, 1)
    with time_machine.travel("2026-05-01 10:00Z", tick=False):
        spend(alice, 2)

    def ids(query):
        return [
            r["id"]
            for r in as_alice.get(f"{API}wallets/me/transactions?type=spend&{query}").json()[
                "results"
            ]
        ]

    assert ids("since=2026-02-01&until=2026-03-01") == [spent_march.pk]
    assert ids("until=2026-03-01T10:00:00Z") == [spent_march.pk]
    assert ids("since=2026-03-01T10:00:01%2B00:00") != [spent_march.pk]
    assert len(ids("since=2026-01-01")) == 2


@pytest.mark.parametrize("query", ["type=gift", "since=yesterday", "until=2026-13-45"])
def test_history_bad_filters_are_400(as_alice, query):
    response = as_alice.get(f"{API}wallets/me/transactions?{query}")

    assert response.status_code == 400
    assert error_code(response) == "validation_error"


def test_history_pages_with_a_cursor(as_alice, alice):
    for _ in range(5):
        spend(alice, 1)

    first = as_alice.get(f"{API}wallets/me/transactions?limit=4").json()
    second = as_alice.get(first["next"]).json()

    assert len(first["results"]) == 4
    assert len(second["results"]) == 2
    assert first["results"][-1]["id"] > second["results"][0]["id"]


def test_history_query_count_does_not_grow_with_rows(
    as_alice, alice, django_assert_max_num_queries
):
    for _ in range(30):
        spend(alice, 1)

    # user (JWT), the page of transactions, their entries with assets
    with django_assert_max_num_queries(3):
        response = as_alice.get(f"{API}wallets/me/transactions?asset=GOLD")

    assert len(response.json()["results"]) == 31


def test_assets_and_conversions_are_listed(as_alice):
    assets = as_alice.get(f"{API}assets").json()
    conversions = as_alice.get(f"{API}conversions/").json()

    coin = next(a for a in assets if a["code"] == "COIN")
    assert coin == {
        "code": "COIN",
        "name": "Game Coin",
        "scale": 2,
        "transferable": True,
        "expiry_days": None,
    }
    assert {
        "from_asset": "SILVER",
        "to_asset": "GOLD",
        "from_amount": "50",
        "to_amount": "1",
    } in conversions


def test_staff_reads_any_wallet_and_history(staff, alice):
    client = client_for(staff)

    assert client.get(f"{API}wallets/{alice.pk}").status_code == 200
    assert (
        client.get(f"{API}wallets/{alice.pk}/transactions").json()["results"][0]["type"] == "BONUS"
    )


def test_a_wallet_is_opened_for_an_asset_added_after_signup_even_beside_a_retired_one(
    as_alice, alice
):
    # given: GOLD retired and RUBY added since alice signed up
    gold = wallet(alice, "GOLD").asset
    gold.active = False
    gold.save()
    Asset.objects.create(code="RUBY", name="Ruby")

    # when
    shown = {row["asset"] for row in as_alice.get(f"{API}wallets/me").json()["wallets"]}

    # then: her GOLD wallet is still shown, and a RUBY wallet exists
    assert {"GOLD", "RUBY"} <= shown
