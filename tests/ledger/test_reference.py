"""ledger.reference and wallets.services.get_wallet: reference data kept in process
memory is dropped when it changes and never outlives a rollback."""

import pytest
from django.db import transaction

from ledger.models import Account, AccountPurpose, Asset
from ledger.reference import active_assets, get_asset, get_system_account
from tests.api import API, error_code
from tests.factories import create_assets, fund, wallet
from wallets import services

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


# Created in a committed transaction, as in production: while a change to the assets
# is uncommitted this thread keeps none (core.cache.ProcessCache.put).
@pytest.fixture
def assets(db, django_capture_on_commit_callbacks) -> dict[str, Asset]:
    with django_capture_on_commit_callbacks(execute=True):
        return create_assets()


def edit_asset(code: str, **fields) -> None:
    asset = Asset.objects.get(code=code)
    for name, value in fields.items():
        setattr(asset, name, value)
    asset.save()


def test_assets_are_read_once(assets, django_assert_num_queries):
    get_asset("GOLD")

    with django_assert_num_queries(0):
        assert get_asset("GOLD").pk == assets["GOLD"].pk
        assert get_asset("SILVER").pk == assets["SILVER"].pk


def test_an_asset_made_inactive_is_seen_at_once(
    assets, as_alice, django_capture_on_commit_callbacks
):
    assert get_asset("GOLD") is not None

    with django_capture_on_commit_callbacks(execute=True):
        edit_asset("GOLD", active=False)
    spend = {"asset": "GOLD", "amount": 1}
    response = as_alice.post(f"{API}wallets/me/spend", spend, format="json")

    assert get_asset("GOLD") is None
    assert get_asset("GOLD", active=False).active is False
    assert "GOLD" not in {asset.code for asset in active_assets()}
    assert response.status_code == 400
    assert "asset" in response.json()["error"]["details"]


def test_an_asset_made_non_transferable_is_seen_at_once(
    assets, alice, bob, as_alice, django_capture_on_commit_callbacks
):
    fund(wallet(alice, "COIN"), 500)
    body = {"asset": "COIN", "amount": "1", "to": bob.pk}
    assert as_alice.post(f"{API}wallets/me/transfer", body, format="json").status_code == 201

    with django_capture_on_commit_callbacks(execute=True):
        edit_asset("COIN", transferable=False)
    response = as_alice.post(f"{API}wallets/me/transfer", body, format="json")

    assert response.status_code == 409
    assert error_code(response) == "asset_not_transferable"


def test_an_asset_edit_is_seen_inside_its_own_transaction(assets):
    assert get_asset("GOLD").transferable is False

    with transaction.atomic():
        edit_asset("GOLD", transferable=True)
        assert get_asset("GOLD").transferable is True


@pytest.mark.django_db(transaction=True)
def test_a_system_account_created_in_a_rolled_back_transaction_is_not_kept(alice):
    # given: an asset no system account exists for yet
    ruby = Asset.objects.create(code="RUBY", name="Ruby")

    # when: its treasury account is first used in a transaction that rolls back
    with pytest.raises(Boom), transaction.atomic():
        rolled_back = get_system_account(purpose=AccountPurpose.TREASURY, asset=ruby)
        raise Boom
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=ruby)

    # then: the account used next is a real row, and value moves through it (SQLite,
    # which has no sequences, may give the new row the rolled-back one's id)
    kept = Account.objects.filter(pk=rolled_back.pk).exists()
    assert rolled_back.pk == treasury.pk or not kept
    assert Account.objects.filter(pk=treasury.pk, purpose=AccountPurpose.TREASURY).exists()
    assert fund(services.get_wallet(user=alice, asset=ruby), 10).balance == 10


@pytest.mark.django_db(transaction=True)
def test_a_wallet_opened_in_a_rolled_back_transaction_is_not_kept(alice):
    # given: an asset added after alice signed up, so she has no wallet for it
    ruby = Asset.objects.create(code="RUBY", name="Ruby")

    # when: her wallet is opened in a transaction that rolls back
    with pytest.raises(Boom), transaction.atomic():
        rolled_back = services.get_wallet(user=alice, asset=ruby)
        raise Boom
    ruby_wallet = services.get_wallet(user=alice, asset=ruby)

    # then: the wallet used next is a real row, and a spend from it works (SQLite may
    # give it the rolled-back one's id)
    kept = Account.objects.filter(pk=rolled_back.pk).exists()
    assert rolled_back.pk == ruby_wallet.pk or not kept
    assert Account.objects.filter(pk=ruby_wallet.pk, user=alice, asset=ruby).exists()
    fund(ruby_wallet, 10)
    services.spend(user=alice, asset=ruby, amount=4)
    assert wallet(alice, "RUBY").balance == 6


def test_wallet_ids_are_read_once(
    alice, assets, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # kept once committed
        first = services.get_wallet(user=alice, asset=assets["GOLD"])

    with django_assert_num_queries(0):
        again = services.get_wallet(user=alice, asset=assets["GOLD"])

    assert again.pk == first.pk == wallet(alice, "GOLD").pk


def test_an_asset_created_in_a_rolled_back_transaction_is_not_kept(assets):
    # given: a transaction that creates an asset and then looks up an unknown code
    # (the miss makes the asset cache read the table again)
    with pytest.raises(Boom), transaction.atomic():
        Asset.objects.create(code="RUBY", name="Ruby")
        assert get_asset("NOPE") is None
        raise Boom

    # then: the rolled-back asset is not served afterwards
    assert get_asset("RUBY") is None
    assert not Asset.objects.filter(code="RUBY").exists()


def test_an_asset_changed_by_a_queryset_update_is_seen_at_once(
    assets, django_capture_on_commit_callbacks
):
    assert get_asset("COIN").transferable is True

    with django_capture_on_commit_callbacks(execute=True):
        Asset.objects.filter(code="COIN").update(transferable=False, expiry_days=30)

    assert get_asset("COIN").transferable is False
    assert get_asset("COIN").expiry_days == 30
