from datetime import timedelta

import pytest
from django.utils import timezone

from core.errors import (
    CaptureExceedsHold,
    HoldNotPending,
    InsufficientFunds,
    ValidationError,
    WalletFrozen,
)
from ledger.models import Account, Hold, Transaction, TransactionType
from ledger.services import (
    capture_hold,
    place_hold,
    release_expired_holds,
    set_account_status,
    void_hold,
)
from tests.factories import spend, wallet

pytestmark = pytest.mark.django_db


def test_place_hold_reduces_available_not_balance(alice):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=60, reference="order-7")

    gold = wallet(alice, "GOLD")
    assert (gold.balance, gold.held, gold.available) == (100, 60, 40)
    assert hold.status == Hold.Status.PENDING


@pytest.mark.parametrize("amount", [0, -1, 10**15 + 1])
def test_place_hold_with_a_non_positive_or_absurd_amount_is_refused(alice, amount):
    with pytest.raises(ValidationError):
        place_hold(account=wallet(alice, "GOLD"), amount=amount)

    assert Hold.objects.count() == 0


@pytest.mark.parametrize("amount", [0, -5])
def test_capture_hold_of_a_non_positive_amount_is_refused_and_keeps_the_hold(alice, amount):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=60)

    with pytest.raises(ValidationError):
        capture_hold(hold_id=hold.pk, amount=amount)

    hold.refresh_from_db()
    assert hold.status == Hold.Status.PENDING
    assert (wallet(alice, "GOLD").balance, wallet(alice, "GOLD").held) == (100, 60)


def test_place_hold_beyond_available_is_refused(alice):
    place_hold(account=wallet(alice, "GOLD"), amount=60)

    with pytest.raises(InsufficientFunds):
        place_hold(account=wallet(alice, "GOLD"), amount=41)

    assert wallet(alice, "GOLD").held == 60


def test_place_hold_on_frozen_wallet_is_refused(alice):
    set_account_status(account=wallet(alice, "GOLD"), status=Account.Status.FROZEN)

    with pytest.raises(WalletFrozen):
        place_hold(account=wallet(alice, "GOLD"), amount=1)


def test_held_funds_cannot_be_spent(alice):
    place_hold(account=wallet(alice, "GOLD"), amount=60)

    with pytest.raises(InsufficientFunds):
        spend(alice, 41)


def test_capture_hold_partially_debits_and_releases_the_rest(alice):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=60, reference="order-7")

    posted = capture_hold(hold_id=hold.pk, amount=45)

    gold = wallet(alice, "GOLD")
    assert (gold.balance, gold.held) == (55, 0)
    assert posted.type == TransactionType.CAPTURE
    assert posted.reference == "order-7"
    hold.refresh_from_db()
    assert (hold.status, hold.captured_amount, hold.capture_transaction_id) == (
        Hold.Status.CAPTURED,
        45,
        posted.pk,
    )


def test_capture_hold_more_than_held_is_refused(alice):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=60)
    before = Transaction.objects.count()

    with pytest.raises(CaptureExceedsHold):
        capture_hold(hold_id=hold.pk, amount=61)

    assert Transaction.objects.count() == before
    assert wallet(alice, "GOLD").held == 60


def test_capture_hold_twice_is_refused(alice):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=60)
    capture_hold(hold_id=hold.pk)

    with pytest.raises(HoldNotPending):
        capture_hold(hold_id=hold.pk)

    assert wallet(alice, "GOLD").balance == 40


def test_capture_hold_with_a_key_replays_its_capture(alice):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=30)

    first = capture_hold(hold_id=hold.pk, idempotency_key="capture-1")
    again = capture_hold(hold_id=hold.pk, idempotency_key="capture-1")

    assert again.pk == first.pk
    assert wallet(alice, "GOLD").balance == 70
    assert Transaction.objects.filter(type=TransactionType.CAPTURE).count() == 1


def test_void_hold_releases_without_moving_value(alice):
    hold = place_hold(account=wallet(alice, "GOLD"), amount=60)

    void_hold(hold_id=hold.pk)

    gold = wallet(alice, "GOLD")
    assert (gold.balance, gold.held) == (100, 0)
    with pytest.raises(HoldNotPending):
        capture_hold(hold_id=hold.pk)


def test_release_expired_holds_expires_only_due_holds(alice):
    now = timezone.now()
    due = place_hold(
        account=wallet(alice, "GOLD"), amount=10, expires_at=now - timedelta(seconds=1)
    )
    later = place_hold(
        account=wallet(alice, "GOLD"), amount=20, expires_at=now + timedelta(hours=1)
    )

    assert release_expired_holds(now=now) == 1

    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (Hold.Status.EXPIRED, Hold.Status.PENDING)
    assert wallet(alice, "GOLD").held == 20


def test_place_hold_with_a_key_replays(alice):
    first = place_hold(account=wallet(alice, "GOLD"), amount=10, idempotency_key="h-1")
    again = place_hold(account=wallet(alice, "GOLD"), amount=10, idempotency_key="h-1")

    assert again.pk == first.pk
    assert wallet(alice, "GOLD").held == 10
