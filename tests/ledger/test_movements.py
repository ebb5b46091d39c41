"""Every transaction type: its entries and the balances it leaves."""

from decimal import Decimal

import pytest

from core.errors import AssetNotTransferable, InsufficientFunds, ValidationError, WalletFrozen
from ledger.models import Account, AccountPurpose, Entry, Transaction, TransactionType
from ledger.selectors import get_account_balance
from ledger.services import (
    adjust,
    convert,
    credit,
    debit,
    get_system_account,
    set_account_status,
    transfer,
)
from tests.factories import earn, fund, wallet

pytestmark = pytest.mark.django_db


def _legs(posted: Transaction) -> set[tuple[str, str, int]]:
    return {
        (entry.account.purpose, entry.account.asset.code, entry.amount)
        for entry in posted.entries.select_related("account__asset")
    }


@pytest.mark.parametrize(
    ("type", "source"),
    [
        (TransactionType.TOPUP, AccountPurpose.TREASURY),
        (TransactionType.BONUS, AccountPurpose.BONUS),
        (TransactionType.EARN, AccountPurpose.REWARDS),
    ],
)
def test_credit_types_move_value_from_their_system_account(alice, type, source):
    posted = credit(account=wallet(alice, "SILVER"), amount=40, type=type, source=source)

    assert posted.type == type
    assert _legs(posted) == {(source, "SILVER", -40), ("USER", "SILVER", 40)}
    assert wallet(alice, "SILVER").balance == 40


@pytest.mark.parametrize("type", [TransactionType.SPEND, TransactionType.REDEEM])
def test_debit_types_move_value_to_revenue(alice, type):
    posted = debit(
        account=wallet(alice, "GOLD"), amount=30, type=type, destination=AccountPurpose.REVENUE
    )

    assert _legs(posted) == {("USER", "GOLD", -30), ("REVENUE", "GOLD", 30)}
    assert wallet(alice, "GOLD").balance == 70


def test_debit_donation_credits_the_cause_account(alice, assets):
    debit(
        account=wallet(alice, "GOLD"),
        amount=25,
        type=TransactionType.REDEEM,
        destination=AccountPurpose.DONATION,
        destination_label="environment",
    )

    cause = get_system_account(
        purpose=AccountPurpose.DONATION, asset=assets["GOLD"], label="environment"
    )
    assert get_account_balance(cause) == 25


def test_transfer_moves_value_between_users(alice, bob):
    coin = fund(wallet(alice, "COIN"), 1000)

    posted = transfer(source=coin, destination=wallet(bob, "COIN"), amount=250)

    assert posted.type == TransactionType.TRANSFER
    assert wallet(alice, "COIN").balance == 750
    assert wallet(bob, "COIN").balance == 250


def test_transfer_of_non_transferable_asset_is_refused(alice, bob):
    before = Transaction.objects.count()

    with pytest.raises(AssetNotTransferable):
        transfer(source=wallet(alice, "GOLD"), destination=wallet(bob, "GOLD"), amount=1)

    assert Transaction.objects.count() == before
    assert wallet(bob, "GOLD").balance == 100


def test_transfer_to_oneself_is_refused(alice):
    coin = fund(wallet(alice, "COIN"), 100)

    with pytest.raises(ValidationError):
        transfer(source=coin, destination=coin, amount=1)


def test_transfer_to_a_frozen_wallet_is_refused(alice, bob):
    coin = fund(wallet(alice, "COIN"), 100)
    frozen = set_account_status(account=wallet(bob, "COIN"), status=Account.Status.FROZEN)

    with pytest.raises(WalletFrozen):
        transfer(source=coin, destination=frozen, amount=1)

    assert wallet(alice, "COIN").balance == 100


def test_transfer_beyond_available_is_refused(alice, bob):
    coin = fund(wallet(alice, "COIN"), 100)

    with pytest.raises(InsufficientFunds):
        transfer(source=coin, destination=wallet(bob, "COIN"), amount=101)

    assert wallet(bob, "COIN").balance == 0


def test_convert_posts_four_entries_across_two_assets(alice):
    silver = fund(wallet(alice, "SILVER"), 120)

    posted = convert(source=silver, destination=wallet(alice, "GOLD"), amount=100)

    assert _legs(posted) == {
        ("USER", "SILVER", -100),
        ("CONVERSION", "SILVER", 100),
        ("CONVERSION", "GOLD", -2),
        ("USER", "GOLD", 2),
    }
    assert wallet(alice, "SILVER").balance == 20
    assert wallet(alice, "GOLD").balance == 102


def test_convert_non_multiple_of_rate_is_refused(alice):
    silver = fund(wallet(alice, "SILVER"), 120)
    before = Entry.objects.count()

    with pytest.raises(ValidationError) as refused:
        convert(source=silver, destination=wallet(alice, "GOLD"), amount=75)

    assert refused.value.details == {"multiple_of": "50"}
    assert Entry.objects.count() == before
    assert wallet(alice, "SILVER").balance == 120


def test_convert_without_a_rate_is_refused(alice):
    with pytest.raises(ValidationError):
        convert(source=wallet(alice, "GOLD"), destination=wallet(alice, "SILVER"), amount=50)


def test_convert_beyond_balance_is_refused(alice):
    silver = fund(wallet(alice, "SILVER"), 49)

    with pytest.raises(InsufficientFunds):
        convert(source=silver, destination=wallet(alice, "GOLD"), amount=50)


def test_convert_between_two_users_is_refused(alice, bob):
    silver = fund(wallet(alice, "SILVER"), 50)

    with pytest.raises(ValidationError):
        convert(source=silver, destination=wallet(bob, "GOLD"), amount=50)


def test_adjust_credits_and_debits_against_the_treasury_with_a_reason(alice, assets):
    gold = wallet(alice, "GOLD")

    up = adjust(account=gold, amount=15, reason="compensation for incident_001")
    down = adjust(account=gold, amount=-5, reason="duplicate grant")

    assert up.type == down.type == TransactionType.ADJUSTMENT
    assert up.metadata["reason"] == "compensation for incident_001"
    assert wallet(alice, "GOLD").balance == 110
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=assets["GOLD"])
    assert get_account_balance(treasury) == -10


def test_adjust_without_a_reason_is_refused(alice):
    with pytest.raises(ValidationError):
        adjust(account=wallet(alice, "GOLD"), amount=5, reason=" ")


@pytest.mark.parametrize("amount", [0, -3, 10**15 + 1])
def test_credit_with_a_non_positive_or_absurd_amount_is_refused(alice, amount):
    with pytest.raises(ValidationError):
        earn(alice, amount, "GOLD")


@pytest.mark.parametrize("amount", [2.0, Decimal(2), True])
def test_every_movement_with_an_amount_not_in_int_minor_units_raises(alice, bob, amount):
    """The engine's one amount check sees what every service posts."""
    gold, coin = wallet(alice, "GOLD"), wallet(alice, "COIN")
    moves = [
        lambda: earn(alice, amount, "GOLD"),
        lambda: debit(
            account=gold,
            amount=amount,
            type=TransactionType.SPEND,
            destination=AccountPurpose.REVENUE,
        ),
        lambda: transfer(source=coin, destination=wallet(bob, "COIN"), amount=amount),
        lambda: adjust(account=gold, amount=amount, reason="typo"),
    ]
    for move in moves:
        with pytest.raises(TypeError):
            move()

    assert Transaction.objects.exclude(type=TransactionType.BONUS).count() == 0
