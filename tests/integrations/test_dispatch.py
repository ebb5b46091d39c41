"""integrations.dispatch.dispatch against envelopes in the outbox's documented format."""

import asyncio
import logging

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from integrations.dispatch import dispatch
from integrations.events import EnvelopeError, parse_envelope, socket_event_name, user_events
from integrations.live import user_group
from integrations.models import Notification, WebhookDelivery
from integrations.webhooks.services import create_subscription
from tests.integrations.envelopes import envelope, posted


@pytest.fixture
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


def listen(layer, user_id: int) -> str:
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(user_group(user_id), channel)
    return channel


def received(layer, channel: str) -> list[dict]:
    async def drain() -> list[dict]:
        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), 0.05))
            except TimeoutError:
                return messages

    return async_to_sync(drain)()


@pytest.mark.parametrize(
    ("transaction_type", "amounts", "name"),
    [
        ("TOPUP", ["10"], "wallet:funds_added"),
        ("SPEND", ["-10"], "wallet:payment_processed"),
        ("REDEEM", ["-10"], "wallet:payment_processed"),
        ("CAPTURE", ["-10"], "wallet:payment_processed"),
        ("EARN", ["10"], "wallet:gamification_reward"),
        ("BONUS", ["10"], "wallet:gamification_reward"),
        ("TRANSFER", ["10"], "wallet:funds_added"),
        ("TRANSFER", ["-10"], "wallet:funds_withdrawn"),
        ("CONVERT", ["-50", "1"], "wallet:balance_updated"),
        ("EXPIRE", ["-3"], "wallet:balance_updated"),
        ("REVERSAL", ["5"], "wallet:balance_updated"),
        ("ADJUSTMENT", ["-5"], "wallet:balance_updated"),
        ("SOMETHING_NEW", ["5"], "wallet:balance_updated"),
    ],
)
def test_socket_event_name_maps_each_transaction_type(transaction_type, amounts, name):
    assert socket_event_name(transaction_type, amounts) == name


def test_transfer_means_funds_withdrawn_to_sender_and_added_to_recipient():
    # given: alice (1) sends 2.50 COIN to bob (2)
    event = parse_envelope(
        posted("TRANSFER", (1, "COIN", "-2.50", "7.50"), (2, "COIN", "2.50", "2.50"))
    )

    # when
    meanings = {meaning.user_id: meaning for meaning in user_events(event)}

    # then
    assert meanings[1].name == "wallet:funds_withdrawn"
    assert meanings[2].name == "wallet:funds_added"
    assert meanings[1].data["entries"] == [
        {"account_id": 500, "asset": "COIN", "amount": "-2.50", "balance_after": "7.50"}
    ]


def test_system_legs_concern_no_user():
    event = parse_envelope(posted("SPEND", (7, "GOLD", "-12", "88"), (None, "GOLD", "12", None)))
    assert [meaning.user_id for meaning in user_events(event)] == [7]


@pytest.mark.parametrize(
    "raw",
    [
        "not an object",
        {"type": "wallet.created", "occurred_at": "x", "data": {}},
        {"id": "nope", "type": "wallet.created", "occurred_at": "x", "data": {}},
        envelope("wallet.created", {"account_id": 1, "asset": "GOLD"}),  # no user_id
        envelope("wallet.created", {"account_id": 1, "user_id": "7", "asset": "GOLD"}),
        {**envelope("wallet.created", {}), "data": []},
        {**envelope("wallet.created", {}), "version": "1"},
        posted("SPEND", (7, "GOLD", "-1e3", "0")),
        posted("SPEND", (7, "GOLD", 12, "0")),
        envelope(
            "wallet.transaction.posted", {"transaction_id": 1, "type": "SPEND", "entries": []}
        ),
    ],
)
def test_envelope_format_errors(raw):
    with pytest.raises(EnvelopeError):
        user_events(parse_envelope(raw))


def test_dispatch_notifies_each_user_once_per_event(alice, bob):
    # given
    transfer = posted(
        "TRANSFER", (alice.pk, "COIN", "-2.50", "0"), (bob.pk, "COIN", "2.50", "2.50")
    )

    # when: dispatched twice (a batch relayed again must not notify twice)
    with transaction.atomic():
        dispatch([transfer])
        dispatch([transfer])

    # then
    rows = {row.user_id: row for row in Notification.objects.all()}
    assert set(rows) == {alice.pk, bob.pk}
    assert rows[alice.pk].kind == "funds_withdrawn"
    assert rows[bob.pk].kind == "funds_added"
    assert rows[bob.pk].params["entries"] == [{"asset": "COIN", "amount": "2.50"}]
    assert str(rows[bob.pk].event_id) == transfer["id"]


def test_dispatch_skips_bad_envelopes_and_keeps_the_rest(alice, caplog):
    # given: a batch with an envelope out of format between two good ones
    good = [
        posted("EARN", (alice.pk, "SILVER", "10", "10")),
        posted("SPEND", (alice.pk, "GOLD", "-1", "99")),
    ]
    bad = envelope("wallet.transaction.posted", {"type": "SPEND"})

    # when
    with caplog.at_level(logging.WARNING, logger="integrations.dispatch"), transaction.atomic():
        dispatch([good[0], bad, good[1]])

    # then
    assert Notification.objects.filter(user=alice).count() == 2
    assert "not in the documented format" in caplog.text
    assert bad["id"] in caplog.text


def test_dispatch_ignores_events_about_no_wallet(alice):
    with transaction.atomic():
        dispatch([envelope("wallet.transactionFinalized", {"transaction_id": "pay_1"})])
    assert not Notification.objects.exists()


def test_dispatch_skips_users_that_no_longer_exist(alice):
    with transaction.atomic():
        dispatch([posted("TOPUP", (alice.pk, "GOLD", "5", "105"), (10**12, "GOLD", "5", "5"))])
    assert list(Notification.objects.values_list("user_id", flat=True)) == [alice.pk]


def test_dispatch_pushes_after_commit_only(
    alice, in_memory_layer, django_capture_on_commit_callbacks
):
    channel = listen(in_memory_layer, alice.pk)

    # given: a relay batch that rolls back after dispatching
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        dispatch([posted("SPEND", (alice.pk, "GOLD", "-12", "88"))])
        raise RuntimeError("the relay's transaction failed")
    # then: nothing pushed, nothing kept
    assert callbacks == []
    assert received(in_memory_layer, channel) == []
    assert not Notification.objects.exists()

    # when: one that commits
    spend = posted("SPEND", (alice.pk, "GOLD", "-12", "88"))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        dispatch([spend])

    # then: one message, in the socket's format
    (message,) = received(in_memory_layer, channel)
    assert message["type"] == "wallet.event"
    assert message["message"]["event"] == "wallet:payment_processed"
    assert message["message"]["id"] == spend["id"]
    assert message["message"]["data"]["user_id"] == alice.pk
    assert message["message"]["data"]["entries"][0]["amount"] == "-12"
    assert message["message"]["data"]["entries"][0]["balance_after"] == "88"


def test_wallet_hold_and_status_events_reach_the_owner(
    alice, in_memory_layer, django_capture_on_commit_callbacks
):
    channel = listen(in_memory_layer, alice.pk)
    wallet = {"account_id": 3, "user_id": alice.pk, "asset": "GOLD"}
    hold = {**wallet, "hold_id": 9, "amount": "5", "captured_amount": None, "reference": "r"}

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        dispatch(
            [
                envelope("wallet.created", wallet),
                envelope("wallet.hold.placed", hold),
                envelope("wallet.frozen", wallet),
            ]
        )

    messages = [m["message"] for m in received(in_memory_layer, channel)]
    assert [(m["event"], m["data"].get("reason")) for m in messages] == [
        ("wallet:created", None),
        ("wallet:balance_updated", "hold.placed"),
        ("wallet:balance_updated", "frozen"),
    ]
    # Only the freeze is worth a notification; wallet creation and holds are not.
    assert list(Notification.objects.values_list("kind", flat=True)) == ["frozen"]


def test_dispatch_queues_one_delivery_per_subscription_and_wanted_event(alice):
    # given
    everything = create_subscription(url="http://127.0.0.1:9/all", event_types=["*"])
    created_only = create_subscription(url="http://127.0.0.1:9/c", event_types=["wallet.created"])
    switched_off = create_subscription(url="http://127.0.0.1:9/off", event_types=["*"])
    switched_off.is_active = False
    switched_off.save()
    events = [
        envelope("wallet.created", {"account_id": 3, "user_id": alice.pk, "asset": "GOLD"}),
        posted("SPEND", (alice.pk, "GOLD", "-1", "99")),
    ]

    # when: the same batch twice
    with transaction.atomic():
        dispatch(events)
        dispatch(events)

    # then
    pairs = sorted(WebhookDelivery.objects.values_list("subscription_id", "event_type"))
    assert pairs == sorted(
        [
            (everything.pk, "wallet.created"),
            (everything.pk, "wallet.transaction.posted"),
            (created_only.pk, "wallet.created"),
        ]
    )
    delivery = WebhookDelivery.objects.get(subscription=created_only)
    assert delivery.payload == events[0]
