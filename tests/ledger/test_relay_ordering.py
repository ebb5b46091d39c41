"""Several relays against the real PostgreSQL and RabbitMQ while users post: each wallet's
events reach the broker (and the dispatchers) in the order they committed, and every
event exactly once."""

import json
import os
import threading
import time
import uuid
from collections import defaultdict

import pika
import pytest
from django.utils import timezone

from ledger.models import OutboxEvent
from ledger.relay import RabbitPublisher, relay_batch
from tests.factories import create_user, earn, fund, spend, wallet
from tests.threads import run_in_threads

AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
USERS, OPERATIONS, RELAYS = 6, 30, 4

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def exchange_queue():
    exchange = f"test.order.{uuid.uuid4().hex[:8]}"
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key="#")
    yield exchange, channel, queue
    channel.exchange_delete(exchange)
    connection.close()


def _drain(channel, queue) -> list[dict]:
    bodies = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return bodies
        bodies.append(json.loads(body))
        assert properties.message_id == bodies[-1]["id"]


def _waiting_events() -> bool:
    return OutboxEvent.objects.filter(published_at__isnull=True).exists()


def _assert_each_users_history_in_order(envelopes: list[dict], users: dict[int, int]) -> None:
    """Per user wallet (GOLD): transaction ids rise and each balance_after is the one
    before plus the entry's amount, starting from the funded balance."""
    history: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for body in envelopes:
        if body["type"] != "wallet.transaction.posted":
            continue
        for entry in body["data"]["entries"]:
            if entry["account_id"] in users:
                history[entry["account_id"]].append(
                    (body["data"]["transaction_id"], int(entry["amount"]),
                     int(entry["balance_after"]))
                )  # fmt: skip
    assert set(history) == set(users)
    for account_id, steps in history.items():
        assert [t for t, _, _ in steps] == sorted(t for t, _, _ in steps), account_id
        balance = users[account_id]
        for _, amount, after in steps:
            balance += amount
            assert after == balance, account_id


def test_several_relays_keep_each_wallets_order_and_lose_or_repeat_nothing(
    assets, exchange_queue, settings
):
    exchange, channel, queue = exchange_queue
    settings.OUTBOX_PARTITIONS = 4  # fewer partitions than users: they share some
    users = [create_user() for _ in range(USERS)]
    for user in users:
        fund(wallet(user, "GOLD"), 1000)
    start = {wallet(user, "GOLD").pk: wallet(user, "GOLD").balance for user in users}
    OutboxEvent.objects.update(published_at=timezone.now())  # the setup's events: not ours
    setup = set(OutboxEvent.objects.values_list("event_id", flat=True))
    producing = threading.Event()
    producing.set()
    left = [USERS]
    lock = threading.Lock()
    dispatched: list[dict] = []

    def dispatch(envelopes) -> None:
        with lock:
            dispatched.extend(envelopes)

    def produce(user) -> None:
        try:
            for n in range(OPERATIONS):
                spend(user, 3) if n % 2 else earn(user, 2, "GOLD")
        finally:
            with lock:
                left[0] -= 1
                if not left[0]:
                    producing.clear()

    def relay() -> int:
        publisher = RabbitPublisher(url=AMQP_URL, exchange=exchange)
        sent = 0
        try:
            while True:
                count = relay_batch(publish=publisher, batch_size=3, dispatch=[dispatch])
                sent += count
                if count:
                    continue
                if not producing.is_set() and not _waiting_events():
                    return sent
                time.sleep(0.002)
        finally:
            publisher.close()

    results = run_in_threads(USERS + RELAYS, lambda i: produce(users[i]) if i < USERS else relay())

    assert not [r for r in results if isinstance(r, Exception)], results
    published = _drain(channel, queue)
    expected = {
        str(event_id)
        for event_id in OutboxEvent.objects.values_list("event_id", flat=True)
        if event_id not in setup
    }
    ids = [body["id"] for body in published]
    assert len(ids) == len(set(ids)) == USERS * OPERATIONS  # nothing repeated or lost
    assert set(ids) == expected
    assert sum(r for r in results if isinstance(r, int)) == USERS * OPERATIONS
    assert sum(1 for r in results[USERS:] if r) >= 2  # the relays really shared the work
    _assert_each_users_history_in_order(published, start)
    _assert_each_users_history_in_order(dispatched, start)
    assert sorted(b["id"] for b in dispatched) == sorted(ids)
