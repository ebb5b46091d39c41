"""The wallet API's reads cost a fixed number of statements, however many rows they show.

Counted inside a test transaction, where the process caches keep nothing uncommitted:
a permission check reads the caller's permissions (two statements) that production
keeps in memory."""

import pytest

from ledger.models import Asset, ConversionRate
from tests.api import API, client_for
from tests.factories import create_role_user, spend

pytestmark = pytest.mark.django_db


def test_assets_and_conversions_are_one_statement_each(assets, django_assert_num_queries):
    ConversionRate.objects.create(
        from_asset=assets["SILVER"], to_asset=assets["COIN"], from_amount=10, to_amount=1
    )
    Asset.objects.filter(code="DIAMOND").update(active=False)  # and its rate with it
    anonymous = client_for()

    with django_assert_num_queries(1):
        listed = anonymous.get(f"{API}assets").json()
    with django_assert_num_queries(1):
        rates = anonymous.get(f"{API}conversions").json()

    assert [asset["code"] for asset in listed] == ["CITY_POINTS", "COIN", "GOLD", "SILVER"]
    assert sorted((rate["from_asset"], rate["to_asset"]) for rate in rates) == [
        ("SILVER", "COIN"),
        ("SILVER", "GOLD"),
    ]


def test_a_hold_is_read_in_one_statement(as_alice, django_assert_num_queries):
    hold = as_alice.post(f"{API}wallets/me/holds", {"asset": "GOLD", "amount": 5}, format="json")

    with django_assert_num_queries(2):  # the caller; the hold with its account and asset
        response = as_alice.get(f"{API}holds/{hold.json()['id']}")

    assert (response.status_code, response.json()["amount"]) == (200, "5")


def test_a_transaction_is_read_in_three_statements(alice, as_alice, bob, django_assert_num_queries):
    txn = spend(alice, 3)
    staff = client_for(create_role_user("staff"))

    # the caller; their permissions (two); whether it is theirs; it; its entries
    with django_assert_num_queries(6):
        own = as_alice.get(f"{API}transactions/{txn.pk}")
    with django_assert_num_queries(6):
        seen_by_staff = staff.get(f"{API}transactions/{txn.pk}")
    with django_assert_num_queries(4):  # no entry of bob's: not found, nothing more read
        hidden = client_for(bob).get(f"{API}transactions/{txn.pk}")

    assert own.json()["entries"] == seen_by_staff.json()["entries"]
    assert [entry["amount"] for entry in own.json()["entries"]] == ["-3", "3"]
    assert (own.json()["balances"], seen_by_staff.json()["balances"]) == ({"GOLD": "97"}, {})
    assert hidden.status_code == 404
