import pytest

from ledger.models import AccountPurpose, Transaction
from ledger.selectors import get_account_balance
from ledger.services import get_system_account
from rewards.errors import SoldOut
from rewards.models import Item, Purchase, Reward, Voucher
from rewards.services import buy_item
from tests.api import API, client_for, error_code
from tests.factories import fund, wallet
from tests.threads import outcomes, run_in_threads


def make_item(assets, **fields) -> Item:
    return Item.objects.create(name="egg", asset=assets["GOLD"], price=30, **fields)


@pytest.mark.django_db
def test_buy_debits_price_times_quantity_and_takes_stock(as_alice, alice, assets):
    item = make_item(assets, stock=5)

    response = as_alice.post(f"{API}items/{item.pk}/buy", {"quantity": 2}, format="json")

    assert response.status_code == 201
    assert response.json()["transaction"]["type"] == "SPEND"
    assert response.json()["transaction"]["balances"] == {"GOLD": "40"}
    item.refresh_from_db()
    assert item.stock == 3
    assert Purchase.objects.get().transaction_id == response.json()["transaction"]["id"]


@pytest.mark.django_db
def test_buying_more_than_is_left_is_409_sold_out_and_changes_nothing(as_alice, alice, assets):
    item = make_item(assets, stock=1)

    response = as_alice.post(f"{API}items/{item.pk}/buy", {"quantity": 2}, format="json")

    assert response.status_code == 409
    assert error_code(response) == "sold_out"
    item.refresh_from_db()
    assert item.stock == 1
    assert wallet(alice, "GOLD").balance == 100


@pytest.mark.django_db
def test_buying_without_funds_keeps_the_stock(as_alice, alice, assets):
    item = make_item(assets, stock=5)

    response = as_alice.post(f"{API}items/{item.pk}/buy", {"quantity": 4}, format="json")

    assert error_code(response) == "insufficient_funds"
    item.refresh_from_db()
    assert item.stock == 5


@pytest.mark.django_db
@pytest.mark.parametrize("quantity", [0, -1, 101, "x"])
def test_bad_quantities_are_400(as_alice, assets, quantity):
    item = make_item(assets)

    response = as_alice.post(f"{API}items/{item.pk}/buy", {"quantity": quantity}, format="json")

    assert response.status_code == 400


@pytest.mark.django_db(transaction=True)
def test_the_last_item_bought_from_two_threads_sells_once(alice, bob, assets, assert_reconciles):
    item = make_item(assets, stock=1)
    buyers = [alice, bob]

    results = run_in_threads(2, lambda i: buy_item(item_id=item.pk, user=buyers[i]).pk)

    assert outcomes(results) == {"int": 1, "sold_out": 1}
    item.refresh_from_db()
    assert item.stock == 0
    assert Purchase.objects.count() == 1
    assert_reconciles()


@pytest.mark.django_db
def test_redeeming_a_voucher_issues_unique_codes(as_alice, alice, assets):
    fund(wallet(alice, "CITY_POINTS"), 500)
    reward = Reward.objects.create(
        name="coffee", kind=Reward.Kind.VOUCHER, asset=assets["CITY_POINTS"], cost=50
    )

    first = as_alice.post(f"{API}rewards/{reward.pk}/redeem", {"quantity": 2}, format="json")
    second = as_alice.post(f"{API}rewards/{reward.pk}/redeem/", {}, format="json")

    assert first.status_code == second.status_code == 201
    codes = first.json()["vouchers"] + second.json()["vouchers"]
    assert len(set(codes)) == 3 == Voucher.objects.count()
    assert Transaction.objects.get(pk=first.json()["transaction"]).type == "REDEEM"
    assert wallet(alice, "CITY_POINTS").balance == 350
    listed = as_alice.get(f"{API}redemptions").json()["results"]
    assert [r["id"] for r in listed] == [second.json()["id"], first.json()["id"]]


@pytest.mark.django_db
def test_a_donation_credits_the_causes_account_and_issues_no_code(as_alice, alice, assets):
    fund(wallet(alice, "CITY_POINTS"), 100)
    reward = Reward.objects.create(
        name="trees",
        kind=Reward.Kind.DONATION,
        cause="environment",
        asset=assets["CITY_POINTS"],
        cost=10,
        issues_voucher=False,
    )

    response = as_alice.post(f"{API}rewards/{reward.pk}/redeem", {"quantity": 3}, format="json")

    assert response.json()["vouchers"] == []
    cause = get_system_account(
        purpose=AccountPurpose.DONATION, asset=assets["CITY_POINTS"], label="environment"
    )
    assert get_account_balance(cause) == 30


@pytest.mark.django_db
def test_another_users_redemptions_are_not_listed(alice, bob, assets):
    fund(wallet(bob, "CITY_POINTS"), 100)
    reward = Reward.objects.create(
        name="coffee", kind=Reward.Kind.VOUCHER, asset=assets["CITY_POINTS"], cost=50
    )
    client_for(bob).post(f"{API}rewards/{reward.pk}/redeem", {}, format="json")

    assert client_for(alice).get(f"{API}redemptions").json()["results"] == []


def test_sold_out_is_a_409_domain_error():
    assert (SoldOut.code, SoldOut.status) == ("sold_out", 409)
