"""Expiring assets on a scripted timeline: lots open on credit, debits consume the
soonest-expiring first, and expiry moves what is left to EXPIRED."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ledger.models import AccountPurpose, Lot, TransactionType
from ledger.selectors import get_account_balance, get_user_wallets
from ledger.services import credit, debit, expire_lots, get_system_account, place_hold
from tests.factories import wallet

pytestmark = pytest.mark.django_db

START = timezone.datetime(2026, 1, 1, 12, tzinfo=timezone.UTC)


def expiring_within_30_days(user) -> dict[int, int]:
    wallets = get_user_wallets(user_id=user.pk, expiring_before=timezone.now() + timedelta(days=30))
    return {wallet.pk: wallet.expiring for wallet in wallets if wallet.expiring}


def _earn(account, amount):
    credit(account=account, amount=amount, type=TransactionType.EARN, source=AccountPurpose.REWARDS)


def test_lots_are_consumed_soonest_expiring_first_and_expire(alice, assets, assert_reconciles):
    points = wallet(alice, "CITY_POINTS")
    with time_machine.travel(START, tick=False):
        _earn(points, 10)  # expires 2027-01-01
    with time_machine.travel(START + timedelta(days=100), tick=False):
        _earn(points, 20)  # expires 2027-04-11
    with time_machine.travel(START + timedelta(days=200), tick=False):
        debit(
            account=points,
            amount=15,
            type=TransactionType.SPEND,
            destination=AccountPurpose.REVENUE,
        )

    assert list(Lot.objects.filter(account=points).values_list("remaining", flat=True)) == [0, 15]

    with time_machine.travel(START + timedelta(days=366), tick=False):
        # The first lot expired, but the spend had already used all of it.
        assert expire_lots(account_id=points.pk) is None
        assert expiring_within_30_days(alice) == {}

    with time_machine.travel(START + timedelta(days=440), tick=False):
        assert expiring_within_30_days(alice) == {points.pk: 15}

    with time_machine.travel(START + timedelta(days=466), tick=False):
        expired = expire_lots(account_id=points.pk)
        assert expire_lots(account_id=points.pk) is None  # a second run finds nothing

    assert expired.type == TransactionType.EXPIRE
    assert sum(e.amount for e in expired.entries.all() if e.account_id == points.pk) == -15
    assert get_account_balance(wallet(alice, "CITY_POINTS")) == 0
    assert_reconciles()


def test_expire_lots_moves_the_remainder_to_expired(alice, assets, assert_reconciles):
    points = wallet(alice, "CITY_POINTS")
    with time_machine.travel(START, tick=False):
        _earn(points, 10)
        debit(
            account=points, amount=4, type=TransactionType.SPEND, destination=AccountPurpose.REVENUE
        )

    with time_machine.travel(START + timedelta(days=366), tick=False):
        expired = expire_lots(account_id=points.pk)

    assert expired.type == TransactionType.EXPIRE
    assert get_account_balance(wallet(alice, "CITY_POINTS")) == 0
    expired_account = get_system_account(
        purpose=AccountPurpose.EXPIRED, asset=assets["CITY_POINTS"]
    )
    assert get_account_balance(expired_account) == 6
    assert_reconciles()


def test_expire_lots_leaves_held_points_until_the_hold_ends(alice, assets, assert_reconciles):
    points = wallet(alice, "CITY_POINTS")
    with time_machine.travel(START, tick=False):
        _earn(points, 10)
        place_hold(account=points, amount=3)

    with time_machine.travel(START + timedelta(days=366), tick=False):
        expire_lots(account_id=points.pk)

    points = wallet(alice, "CITY_POINTS")
    assert (points.balance, points.held) == (3, 3)
    assert_reconciles()


def test_non_expiring_assets_open_no_lots(alice):
    _earn(wallet(alice, "SILVER"), 10)

    assert not Lot.objects.filter(account__asset__code="SILVER").exists()
