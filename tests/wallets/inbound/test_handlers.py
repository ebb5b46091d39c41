"""The handlers under real concurrency (threads, each on its own PostgreSQL connection),
as when two consumers hold copies of one message or one transaction's completion and
failure arrive together."""

from datetime import UTC, datetime

import pytest

from accounts.models import User
from ledger.models import Transaction, TransactionType
from tests.factories import wallet
from tests.threads import run_in_threads
from wallets.inbound.handlers import handle
from wallets.inbound.messages import Message, PoisonMessage, parse_message
from wallets.models import ExternalTransaction, InboxMessage


def topup(external_id: str, to: int) -> dict:
    return {"transaction_id": external_id, "kind": "topup", "to": to, "asset": "GOLD",
            "amount": "7"}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_one_message_handled_by_eight_threads_at_once_applies_once(alice, assert_reconciles):
    message = Message(id="same", type="transaction.completed", data=topup("ext-1", alice.pk))

    results = run_in_threads(8, lambda _: handle(message).duplicate)

    assert sorted(results) == [False] + [True] * 7
    assert Transaction.objects.filter(reference="ext-1").count() == 1
    assert wallet(alice, "GOLD").balance == 107
    assert InboxMessage.objects.count() == 1
    assert_reconciles()


@pytest.mark.django_db(transaction=True)
def test_signups_racing_for_one_new_email_make_one_user_with_one_grant(assets):
    def signup(index: int) -> int:
        message = Message(id=f"signup-{index}", type="user.signup", data={"email": "racer@x.io"})
        return handle(message).result["user_id"]

    results = run_in_threads(8, signup)

    user = User.objects.get(email="racer@x.io")
    assert results == [user.pk] * 8
    assert wallet(user, "GOLD").balance == 100
    assert Transaction.objects.filter(type=TransactionType.BONUS).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_completion_and_its_failure_racing_end_consistent(alice, assert_reconciles):
    messages = [
        Message(id="c", type="transaction.completed", data=topup("ext-2", alice.pk)),
        Message(id="f", type="transaction.failed", data={"transaction_id": "ext-2"}),
    ]

    results = run_in_threads(2, lambda index: handle(messages[index]).result["status"])

    # either the completion came first and was reverted, or the failure came first and
    # the completion was ignored: never a posting left standing
    assert tuple(results) in {("completed", "reverted"), ("ignored", "failed")}
    status = ExternalTransaction.objects.get(external_id="ext-2").status
    assert status == ("reverted" if results[0] == "completed" else "failed")
    assert wallet(alice, "GOLD").balance == 100
    assert_reconciles()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xff", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"type": "user.signup", "data": {}}', "no message id"),
        (b'{"id": "", "type": "user.signup", "data": {}}', "no message id"),
        (b'{"id": "1", "data": {}}', "no message type"),
        (b'{"id": "1", "type": "user.signup", "version": 2, "data": {}}', "unsupported version"),
        (b'{"id": "1", "type": "user.signup", "data": []}', "`data` must be a JSON object"),
        (b'{"id": "1", "type": "user.signup", "occurred_at": "2026-13-01T00:00", "data": {}}',
         "`occurred_at` must be"),
    ],
)  # fmt: skip
def test_a_malformed_envelope_is_poison_naming_the_problem(body, reason):
    with pytest.raises(PoisonMessage) as refused:
        parse_message(body)

    assert refused.value.reason.startswith(reason)


def test_the_envelope_falls_back_to_the_amqp_properties():
    message = parse_message(
        b'{"occurred_at": "2026-01-02T03:04:05", "data": {"user_id": 1}}',
        message_id="amqp-id",
        type="user.signup",
    )

    assert message == Message(
        id="amqp-id",
        type="user.signup",
        data={"user_id": 1},
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def test_an_unknown_message_type_is_poison():
    with pytest.raises(PoisonMessage, match="unknown message type 'user.deleted'"):
        handle(Message(id="1", type="user.deleted", data={}))
