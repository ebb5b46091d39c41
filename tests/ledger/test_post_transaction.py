import pytest
from django.db import transaction as db_transaction

from core.errors import IdempotencyKeyReused, InsufficientFunds, ValidationError, WalletFrozen
from ledger.models import Account, AccountPurpose, Entry, OutboxEvent, Transaction, TransactionType
from ledger.posting import Leg, Posted, Posting, Refused, Replayed, post_batch, post_transaction
from ledger.selectors import get_account_balance
from ledger.services import credit, debit, get_system_account, set_account_status
from tests.factories import fund, wallet

pytestmark = pytest.mark.django_db


def _ledger_size() -> tuple[int, int]:
    return Transaction.objects.count(), Entry.objects.count()


def test_post_transaction_credit_writes_entries_balance_after_and_event(alice, assets):
    silver = wallet(alice, "SILVER")
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=assets["SILVER"])

    posted = post_transaction(
        type=TransactionType.TOPUP,
        legs=[Leg(treasury, -70), Leg(silver, 70)],
        reference="order-1",
    )

    entries = {entry.account_id: entry for entry in posted.entries.all()}
    assert entries[silver.pk].amount == 70
    assert entries[silver.pk].balance_after == 70
    assert entries[treasury.pk].amount == -70
    assert entries[treasury.pk].balance_after is None
    assert get_account_balance(silver) == 70
    assert get_account_balance(treasury) == -70
    event = OutboxEvent.objects.get(payload__transaction_id=posted.pk)
    assert event.topic == "wallet.transaction.posted"
    assert {entry["amount"] for entry in event.payload["entries"]} == {"70", "-70"}
    assert {entry["balance_after"] for entry in event.payload["entries"]} == {"70", None}


def test_post_transaction_system_account_row_is_never_updated(alice, assets):
    silver = wallet(alice, "SILVER")
    rewards = get_system_account(purpose=AccountPurpose.REWARDS, asset=assets["SILVER"])

    for _ in range(3):
        credit(account=silver, amount=5, type=TransactionType.EARN, source=AccountPurpose.REWARDS)

    rewards.refresh_from_db()
    assert (rewards.balance, rewards.held) == (0, 0)
    assert get_account_balance(rewards) == -15
    assert get_account_balance(silver) == 15


def test_post_transaction_debit_beyond_balance_is_refused_and_changes_nothing(alice, assets):
    gold = wallet(alice, "GOLD")  # 100 from the signup grant
    before = _ledger_size()

    with pytest.raises(InsufficientFunds) as refused:
        debit(
            account=gold, amount=101, type=TransactionType.SPEND, destination=AccountPurpose.REVENUE
        )

    assert refused.value.details == {"asset": "GOLD", "available": "100", "requested": "101"}
    assert _ledger_size() == before
    assert get_account_balance(gold) == 100


def test_post_transaction_unbalanced_legs_are_refused(alice, assets):
    silver = wallet(alice, "SILVER")
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=assets["SILVER"])

    with pytest.raises(ValidationError):
        post_transaction(type=TransactionType.TOPUP, legs=[Leg(treasury, -70), Leg(silver, 71)])

    assert get_account_balance(silver) == 0


def test_post_transaction_legs_must_balance_per_asset(alice, assets):
    silver, gold = wallet(alice, "SILVER"), wallet(alice, "GOLD")

    with pytest.raises(ValidationError):
        post_transaction(type=TransactionType.CONVERT, legs=[Leg(gold, -1), Leg(silver, 1)])


@pytest.mark.parametrize("amount", [0, 10**15 + 1, -(10**15) - 1])
def test_post_transaction_out_of_range_amounts_are_refused(alice, assets, amount):
    silver = wallet(alice, "SILVER")
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=assets["SILVER"])

    with pytest.raises(ValidationError):
        post_transaction(
            type=TransactionType.TOPUP, legs=[Leg(treasury, -amount), Leg(silver, amount)]
        )


@pytest.mark.parametrize("amount", [1.5, True, "5"])
def test_post_transaction_non_integer_amounts_raise(alice, assets, amount):
    silver = wallet(alice, "SILVER")
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=assets["SILVER"])

    with pytest.raises(TypeError):
        post_transaction(type=TransactionType.TOPUP, legs=[Leg(treasury, 5), Leg(silver, amount)])


def test_post_transaction_same_account_twice_is_refused(alice):
    silver = wallet(alice, "SILVER")

    with pytest.raises(ValidationError):
        post_transaction(type=TransactionType.ADJUSTMENT, legs=[Leg(silver, -1), Leg(silver, 1)])


def test_post_transaction_unknown_type_is_refused(alice, assets):
    silver = wallet(alice, "SILVER")
    treasury = get_system_account(purpose=AccountPurpose.TREASURY, asset=assets["SILVER"])

    with pytest.raises(ValidationError):
        post_transaction(type="GIFT", legs=[Leg(treasury, -1), Leg(silver, 1)])


def test_post_transaction_frozen_wallet_refuses_debits_but_takes_credits(alice):
    gold = set_account_status(account=wallet(alice, "GOLD"), status=Account.Status.FROZEN)
    before = _ledger_size()

    with pytest.raises(WalletFrozen):
        debit(
            account=gold, amount=1, type=TransactionType.SPEND, destination=AccountPurpose.REVENUE
        )
    assert _ledger_size() == before

    fund(gold, 5)
    assert get_account_balance(gold) == 105


def test_post_transaction_frozen_wallet_still_takes_staff_adjustment(alice):
    gold = set_account_status(account=wallet(alice, "GOLD"), status=Account.Status.FROZEN)

    debit(
        account=gold,
        amount=40,
        type=TransactionType.ADJUSTMENT,
        destination=AccountPurpose.TREASURY,
    )

    assert get_account_balance(gold) == 60


def test_post_transaction_same_key_and_legs_replays_without_moving_value(alice, assets):
    silver = wallet(alice, "SILVER")

    first = credit(
        account=silver,
        amount=10,
        type=TransactionType.EARN,
        source=AccountPurpose.REWARDS,
        idempotency_key="k-1",
    )
    second = credit(
        account=silver,
        amount=10,
        type=TransactionType.EARN,
        source=AccountPurpose.REWARDS,
        idempotency_key="k-1",
    )

    assert second.pk == first.pk
    assert get_account_balance(silver) == 10


def test_post_transaction_same_key_other_legs_is_refused(alice, assets):
    silver = wallet(alice, "SILVER")
    credit(
        account=silver,
        amount=10,
        type=TransactionType.EARN,
        source=AccountPurpose.REWARDS,
        idempotency_key="k-1",
    )

    with pytest.raises(IdempotencyKeyReused):
        credit(
            account=silver,
            amount=11,
            type=TransactionType.EARN,
            source=AccountPurpose.REWARDS,
            idempotency_key="k-1",
        )

    assert get_account_balance(silver) == 10


def test_post_transaction_joins_the_callers_transaction(alice):
    gold = wallet(alice, "GOLD")

    with pytest.raises(RuntimeError), db_transaction.atomic():
        debit(
            account=gold, amount=30, type=TransactionType.SPEND, destination=AccountPurpose.REVENUE
        )
        raise RuntimeError("the caller fails after posting")

    assert get_account_balance(gold) == 100


def test_post_batch_a_key_repeated_in_one_batch_posts_once(alice, assets):
    silver = wallet(alice, "SILVER")
    rewards = get_system_account(purpose=AccountPurpose.REWARDS, asset=assets["SILVER"])
    same = [Leg(rewards, -5), Leg(silver, 5)]

    first, again, other = post_batch(
        [
            Posting(type=TransactionType.EARN, legs=same, idempotency_key="b-1"),
            Posting(type=TransactionType.EARN, legs=same, idempotency_key="b-1"),
            Posting(
                type=TransactionType.EARN,
                legs=[Leg(rewards, -6), Leg(silver, 6)],
                idempotency_key="b-1",
            ),
        ]
    )

    assert isinstance(first, Posted)
    assert again == Replayed(first.transaction)
    assert isinstance(other, Refused) and isinstance(other.error, IdempotencyKeyReused)
    assert get_account_balance(silver) == 5


def test_post_batch_refuses_one_posting_and_posts_the_others(alice, assets):
    gold = wallet(alice, "GOLD")
    revenue = get_system_account(purpose=AccountPurpose.REVENUE, asset=assets["GOLD"])

    results = post_batch(
        [
            Posting(type=TransactionType.SPEND, legs=[Leg(gold, -60), Leg(revenue, 60)]),
            Posting(type=TransactionType.SPEND, legs=[Leg(gold, -60), Leg(revenue, 60)]),
            Posting(type=TransactionType.SPEND, legs=[Leg(gold, -40), Leg(revenue, 40)]),
        ]
    )

    assert [type(r).__name__ for r in results] == ["Posted", "Refused", "Posted"]
    assert isinstance(results[1].error, InsufficientFunds)
    assert get_account_balance(gold) == 0


def test_post_batch_reports_a_key_posted_by_an_earlier_batch_as_replayed(alice, assets):
    # given: a batch that posted under two keys
    silver = wallet(alice, "SILVER")
    rewards = get_system_account(purpose=AccountPurpose.REWARDS, asset=assets["SILVER"])
    legs = [Leg(rewards, -5), Leg(silver, 5)]
    earlier = post_batch(
        [
            Posting(TransactionType.EARN, legs, idempotency_key="e-1"),
            Posting(TransactionType.EARN, legs, idempotency_key="e-2"),
        ]
    )

    # when: a later batch carries both keys again, and a new one
    outcomes = post_batch(
        [
            Posting(TransactionType.EARN, legs, idempotency_key="e-2"),
            Posting(TransactionType.EARN, legs, idempotency_key="e-3"),
            Posting(TransactionType.EARN, legs, idempotency_key="e-1"),
        ]
    )

    # then: the two are replays of what the first batch posted; only the new key moves value
    assert [type(outcome) for outcome in earlier] == [Posted, Posted]
    assert outcomes[0] == Replayed(earlier[1].transaction)
    assert isinstance(outcomes[1], Posted)
    assert outcomes[2] == Replayed(earlier[0].transaction)
    assert get_account_balance(silver) == 15
