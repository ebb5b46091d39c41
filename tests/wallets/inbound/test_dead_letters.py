"""Messages that can never apply: dead-lettered after their attempts with the reason,
shown in the admin, and replayed from there through the same handler."""

import json

import pika
import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.services import register_user
from ledger.models import Transaction
from tests.wallets.inbound.conftest import MAX_ATTEMPTS, finalized
from wallets.models import DeadLetter

pytestmark = pytest.mark.django_db(transaction=True)

CHANGELIST = reverse("admin:wallets_deadletter_changelist")


def desk(role: str) -> Client:
    user = User.objects.create_user(
        email=f"{role}-desk@example.com", password="desk-password-1", is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


def replay(client: Client, letters: list[DeadLetter]):
    data = {
        "action": "replay",
        "_selected_action": [letter.pk for letter in letters],
        "confirm": "yes",
        "reason": "user created by hand",
    }
    return client.post(CHANGELIST, data, follow=True)


def topup(to: object, external_id: str = "late-1") -> dict:
    return {"transaction_id": external_id, "kind": "topup", "to": to, "asset": "GOLD",
            "amount": "5"}  # fmt: skip


@pytest.fixture
def poison(broker, assets):
    """One message of each kind that cannot apply, consumed until each is dead-lettered."""
    broker.publish(
        "user.signup", body=b"{not json", properties=pika.BasicProperties(message_id="bad-json")
    )
    broker.publish("user.deleted", {"user_id": 1}, id="unknown-type", routing_key="user.signup")
    broker.publish("transaction.completed", {"transaction_id": "x", "kind": "topup"}, id="invalid")
    broker.publish("transaction.completed", topup("late@example.com"), id="unknown-user")
    broker.publish("user.signup", body=json.dumps({"type": "user.signup", "data": {}}).encode())
    printed = broker.consume()
    return printed


def test_poison_is_dead_lettered_after_its_attempts_with_the_reason(broker, poison):
    assert poison.splitlines()[-1] == (
        f"processed 0, duplicates 0, retried {5 * (MAX_ATTEMPTS - 1)}, dead-lettered 5"
    )
    dead = broker.take_all(f"{broker.queue}.dead")
    assert [headers["x-wallet-attempts"] for _, headers in dead] == [MAX_ATTEMPTS] * 5
    assert broker.depth() == broker.depth(f"{broker.queue}.retry") == 0
    reasons = dict(DeadLetter.objects.values_list("message_key", "reason"))
    assert reasons.pop("bad-json").startswith("not JSON")
    assert reasons.pop("unknown-type") == "unknown message type 'user.deleted'"
    assert json.loads(reasons.pop("invalid").removeprefix("validation_error: ")) == {
        "asset": ["This field is required."],
        "amount": ["This field is required."],
    }
    assert reasons.pop("unknown-user") == "unknown user: no user with email late@example.com"
    ((key, reason),) = reasons.items()
    assert key.startswith("sha256:")
    assert reason.startswith("no message id")


def test_dead_letters_are_listed_in_the_admin_and_only_staff_may_replay(poison):
    staff, support = desk("staff"), desk("support")

    listing = staff.get(CHANGELIST).content.decode()
    assert "unknown user: no user with email late@example.com" in listing
    assert '<option value="replay">' in listing
    assert staff.get(CHANGELIST, {"q": "unknown-user"}).status_code == 200
    letter = DeadLetter.objects.get(message_key="unknown-user")
    assert (
        staff.get(reverse("admin:wallets_deadletter_change", args=[letter.pk])).status_code == 200
    )
    assert '<option value="replay">' not in support.get(CHANGELIST).content.decode()

    refused = replay(support, [letter])

    assert not DeadLetter.objects.filter(replayed_at__isnull=False).exists()
    assert refused.status_code == 200


def test_a_replay_applies_the_message_once_its_cause_is_fixed(poison, assert_reconciles):
    # given: the user the top-up was for now exists
    staff = desk("staff")
    letter = DeadLetter.objects.get(message_key="unknown-user")
    late = register_user(email="late@example.com", password=None)

    # when: replayed twice
    first = replay(staff, [letter]).content.decode()
    second = replay(staff, [letter]).content.decode()

    # then: one posting, and the letter says what each replay did
    assert "Replay messages: done for 1 of 1." in first
    assert "Replay messages: done for 1 of 1." in second
    posted = Transaction.objects.get(reference="late-1")
    assert posted.entries.get(account__user=late).amount == 5
    assert finalized() == [
        {"transaction_id": "late-1", "status": "completed", "wallet_transaction": posted.pk}
    ]
    letter.refresh_from_db()
    assert letter.replayed_at is not None
    assert letter.replay_result.startswith("duplicate: applied before")
    history = LogEntry.objects.filter(object_id=str(letter.pk)).order_by("id")
    assert [entry.change_message for entry in history] == [
        "Replayed: applied. user created by hand",
        "Replayed: already applied before. user created by hand",
    ]
    assert_reconciles()


def test_a_replay_that_still_cannot_apply_is_refused_and_says_why(poison):
    staff = desk("staff")
    letter = DeadLetter.objects.get(message_key="bad-json")

    page = replay(staff, [letter]).content.decode()

    assert "refused (replay_failed)" in page
    letter.refresh_from_db()
    assert letter.replay_result.startswith("failed: not JSON")
