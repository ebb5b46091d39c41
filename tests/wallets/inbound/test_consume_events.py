"""consume_events against the RabbitMQ and PostgreSQL of this machine: each message
applied once however often it is delivered, and each transaction message answered with
a wallet.transactionFinalized event in the outbox."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import User
from ledger.models import Account, Hold, Transaction, TransactionType
from ledger.services import place_hold
from tests.factories import create_user, fund, spend, wallet
from tests.wallets.inbound.conftest import finalized
from wallets.models import ExternalTransaction, InboxMessage

pytestmark = pytest.mark.django_db(transaction=True)


def completed(external_id: str, kind: str = "topup", amount: str = "25", **parties) -> dict:
    return {"transaction_id": external_id, "kind": kind, "asset": "GOLD", "amount": amount,
            **parties}  # fmt: skip


def test_a_message_delivered_twice_has_one_effect(broker, alice, assert_reconciles):
    # given: the same message (one id) delivered twice, as after a publisher's retry
    for _ in range(2):
        broker.publish("transaction.completed", completed("pay-1", to=alice.pk), id="msg-1")

    # when
    printed = broker.consume()

    # then
    assert printed.splitlines()[-1] == ("processed 1, duplicates 1, retried 0, dead-lettered 0")
    assert wallet(alice, "GOLD").balance == 100 + 25
    assert Transaction.objects.filter(reference="pay-1").count() == 1
    assert InboxMessage.objects.filter(message_id="msg-1").count() == 1
    assert len(finalized()) == 1
    assert broker.depth() == 0
    assert_reconciles()


def test_signup_five_times_makes_one_user_with_one_grant(broker, assets):
    for _ in range(5):
        broker.publish("user.signup", {"email": "New.Player@Example.com", "name": "New Player"})

    printed = broker.consume()

    user = User.objects.get(email="new.player@example.com")
    assert user.name == "New Player"
    assert user.groups.filter(name="customer").exists()
    assert wallet(user, "GOLD").balance == 100
    assert (
        Transaction.objects.filter(
            type=TransactionType.BONUS, reference=f"signup:{user.pk}"
        ).count()
        == 1
    )
    assert Account.objects.filter(user=user).count() == 5  # one for every active asset
    assert printed.splitlines()[-1].startswith("processed 5, duplicates 0")


def test_signup_of_a_user_who_signed_up_over_rest_changes_nothing(broker, alice):
    broker.publish("user.signup", {"email": "alice@example.com", "name": "Alice"})
    broker.publish("user.signup", {"user_id": alice.pk})

    broker.consume()

    assert User.objects.filter(email="alice@example.com").count() == 1
    assert wallet(alice, "GOLD").balance == 100
    outcomes = list(InboxMessage.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [{"user_id": alice.pk, "created": False}] * 2


def test_completed_twice_posts_once_and_answers_twice(broker, alice, bob, assert_reconciles):
    # given: a transfer completed, announced twice under two message ids
    fund(wallet(alice, "COIN"), 1000)
    data = {**completed("trf-7", "transfer", "2.50", **{"from": alice.pk, "to": bob.email})}
    data["asset"] = "COIN"
    broker.publish("transaction.completed", data)
    broker.publish("transaction.completed", data)

    # when
    broker.consume()

    # then
    posted = Transaction.objects.get(reference="trf-7")
    assert posted.type == TransactionType.TRANSFER
    assert posted.idempotency_key == "event:trf-7"
    assert wallet(alice, "COIN").balance == 750
    assert wallet(bob, "COIN").balance == 250
    answer = {"transaction_id": "trf-7", "status": "completed", "wallet_transaction": posted.pk}
    assert finalized() == [answer, answer]
    assert_reconciles()


def test_failed_before_completed_posts_nothing_and_says_so(broker, alice, assert_reconciles):
    broker.publish("transaction.failed", {"transaction_id": "pay-9", "reason": "card declined"})
    broker.publish("transaction.completed", completed("pay-9", to=alice.pk))

    broker.consume()

    assert not Transaction.objects.filter(reference="pay-9").exists()
    assert wallet(alice, "GOLD").balance == 100
    assert ExternalTransaction.objects.get(external_id="pay-9").status == "failed"
    assert finalized() == [
        {"transaction_id": "pay-9", "status": "failed", "wallet_transaction": None},
        {
            "transaction_id": "pay-9",
            "status": "ignored",
            "wallet_transaction": None,
            "reason": "already_failed",
        },
    ]
    assert_reconciles()


def test_failed_after_completed_reverses_the_posting(broker, alice, assert_reconciles):
    broker.publish("transaction.completed", completed("pay-3", to=alice.pk))
    broker.publish("transaction.failed", {"transaction_id": "pay-3"})
    broker.publish("transaction.failed", {"transaction_id": "pay-3"})  # announced again

    broker.consume()

    posted = Transaction.objects.get(reference="pay-3", type=TransactionType.TOPUP)
    reversal = Transaction.objects.get(reverses=posted)
    assert wallet(alice, "GOLD").balance == 100
    reverted = {
        "transaction_id": "pay-3",
        "status": "reverted",
        "wallet_transaction": reversal.pk,
        "reversed_transaction": posted.pk,
    }
    assert finalized()[1:] == [reverted, reverted]
    assert_reconciles()


def test_a_payment_captures_the_hold_placed_for_it_and_a_failure_voids_one(
    broker, alice, assert_reconciles
):
    # given: two payments each reserved over REST first (a hold named by the external id)
    captured = place_hold(account=wallet(alice, "GOLD"), amount=30, reference="ord-1")
    voided = place_hold(account=wallet(alice, "GOLD"), amount=20, reference="ord-2")

    # when: the first completes for less than held, the second fails
    broker.publish(
        "transaction.completed", completed("ord-1", "payment", "25", **{"from": alice.pk})
    )
    broker.publish("transaction.failed", {"transaction_id": "ord-2"})
    broker.consume()

    # then
    capture = Transaction.objects.get(reference="ord-1")
    assert capture.type == TransactionType.CAPTURE
    assert Hold.objects.get(pk=captured.pk).status == Hold.Status.CAPTURED
    assert Hold.objects.get(pk=voided.pk).status == Hold.Status.VOIDED
    gold = wallet(alice, "GOLD")
    assert (gold.balance, gold.held) == (75, 0)
    assert finalized() == [
        {"transaction_id": "ord-1", "status": "completed", "wallet_transaction": capture.pk,
         "wallet_hold": captured.pk},
        {"transaction_id": "ord-2", "status": "voided", "wallet_transaction": None,
         "wallet_hold": voided.pk},
    ]  # fmt: skip
    assert_reconciles()


def test_a_payment_without_a_hold_is_a_spend_and_one_the_ledger_refuses_is_rejected(broker, alice):
    broker.publish(
        "transaction.completed", completed("ord-5", "payment", "60", **{"from": alice.pk})
    )
    broker.publish(
        "transaction.completed", completed("ord-6", "payment", "60", **{"from": alice.pk})
    )

    printed = broker.consume()

    spent = Transaction.objects.get(reference="ord-5")
    assert spent.type == TransactionType.SPEND
    assert not Transaction.objects.filter(reference="ord-6").exists()
    assert wallet(alice, "GOLD").balance == 40
    assert finalized()[1] == {
        "transaction_id": "ord-6",
        "status": "rejected",
        "wallet_transaction": None,
        "reason": "insufficient_funds",
    }
    assert printed.splitlines()[-1].startswith("processed 2, duplicates 0, retried 0")


def test_a_completion_repeated_with_other_details_is_dead_lettered(broker, alice):
    broker.publish("transaction.completed", completed("pay-4", amount="10", to=alice.pk))
    broker.publish("transaction.completed", completed("pay-4", amount="99", to=alice.pk))

    broker.consume()

    assert wallet(alice, "GOLD").balance == 110
    ((body, headers),) = broker.take_all(f"{broker.queue}.dead")
    assert json.loads(body)["data"]["amount"] == "99"
    assert headers["x-wallet-error"].startswith("idempotency_key_reused")


def test_a_failure_whose_credit_was_spent_waits_for_an_operator(broker, alice):
    broker.publish("transaction.completed", completed("pay-8", amount="50", to=alice.pk))
    broker.consume()
    spend(alice, 150)
    broker.publish("transaction.failed", {"transaction_id": "pay-8"})

    printed = broker.consume()

    assert printed.splitlines()[-1] == "processed 0, duplicates 0, retried 2, dead-lettered 1"
    assert ExternalTransaction.objects.get(external_id="pay-8").status == "completed"
    ((_, headers),) = broker.take_all(f"{broker.queue}.dead")
    assert headers["x-wallet-error"].startswith("insufficient_funds")


def test_amounts_follow_the_one_amount_grammar(broker, assets):
    user = create_user()
    for amount in ("1e3", "-5", "0", "10.0", 2.5, " 7"):
        broker.publish(
            "transaction.completed", completed(f"bad-{amount}", amount=amount, to=user.pk)
        )

    printed = broker.consume()

    assert printed.splitlines()[-1].endswith("dead-lettered 6")
    assert not Transaction.objects.filter(type=TransactionType.TOPUP).exists()


def test_once_handles_one_message_and_leaves_the_rest(broker, alice):
    broker.publish("transaction.completed", completed("one", to=alice.pk))
    broker.publish("transaction.completed", completed("two", to=alice.pk))

    printed = broker.consume("--once")

    assert printed.splitlines()[-1].startswith("processed 1, duplicates 0")
    assert broker.depth() == 1
    assert Transaction.objects.filter(reference__in=["one", "two"]).count() == 1


def test_consume_events_without_amqp_url_refuses(settings):
    settings.AMQP_URL = ""

    with pytest.raises(CommandError, match="AMQP_URL"):
        call_command("consume_events", "--drain")
