"""The outbox relay against the RabbitMQ running on this machine."""

import json
import os
import uuid
from io import StringIO

import pika
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from ledger.models import OutboxEvent
from ledger.relay import relay_batch
from tests.factories import earn

AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

pytestmark = pytest.mark.django_db


@pytest.fixture
def bound_queue(settings):
    """A private exchange and a queue bound to every topic on it."""
    exchange = f"test.events.{uuid.uuid4().hex[:8]}"
    settings.AMQP_URL = AMQP_URL
    settings.AMQP_EXCHANGE = exchange
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    channel.exchange_declare(exchange, exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, exchange, routing_key="#")
    yield channel, queue
    channel.exchange_delete(exchange)
    connection.close()


def _drain(channel, queue) -> list[tuple[str, dict, str]]:
    messages = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            return messages
        messages.append((method.routing_key, json.loads(body), properties.message_id))


def test_relay_events_publishes_each_event_once_in_its_envelope(alice, bound_queue):
    channel, queue = bound_queue
    posted = earn(alice, 5)
    waiting = OutboxEvent.objects.filter(published_at__isnull=True).count()

    call_command("relay_events")
    call_command("relay_events")  # nothing left to send

    messages = _drain(channel, queue)
    assert len(messages) == waiting
    routing_key, body, message_id = next(
        m for m in messages if m[1]["data"].get("transaction_id") == posted.pk
    )
    row = OutboxEvent.objects.get(payload__transaction_id=posted.pk)
    assert routing_key == body["type"] == "wallet.transaction.posted"
    assert message_id == body["id"] == str(row.event_id)
    assert body["version"] == 1
    assert body["occurred_at"].endswith("Z")
    assert {e["amount"] for e in body["data"]["entries"]} == {"5", "-5"}
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_a_redelivered_event_keeps_its_id(alice, bound_queue):
    channel, queue = bound_queue
    earn(alice, 5)
    call_command("relay_events", stdout=StringIO())
    first = _drain(channel, queue)
    OutboxEvent.objects.update(published_at=None)  # as after a crash before the mark

    call_command("relay_events", stdout=StringIO())

    again = _drain(channel, queue)
    assert [(m[1], m[2]) for m in again] == [(m[1], m[2]) for m in first]


def test_relay_events_prints_its_summary_once_and_no_client_logging(alice, bound_queue, caplog):
    for _ in range(3):
        earn(alice, 1)
    waiting = OutboxEvent.objects.filter(published_at__isnull=True).count()
    out = StringIO()

    call_command("relay_events", "--batch-size", "2", stdout=out)

    assert out.getvalue() == f"published {waiting} events\n"
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pika")] == []


def test_relay_batch_marks_nothing_when_publishing_fails(alice):
    def broken(envelope):
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        relay_batch(publish=broken)

    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()


def test_relay_events_without_amqp_url_or_dispatchers_refuses(settings):
    settings.AMQP_URL = ""
    settings.OUTBOX_DISPATCHERS = []

    with pytest.raises(CommandError):
        call_command("relay_events")


SEEN: list[tuple[list[dict], bool, int]] = []


def record(envelopes):
    """A dispatcher: what it got, whether in a transaction, and how many were still unmarked."""
    ids = [e["id"] for e in envelopes]
    unmarked = OutboxEvent.objects.filter(event_id__in=ids, published_at__isnull=True).count()
    SEEN.append((list(envelopes), connection.in_atomic_block, unmarked))


def test_dispatchers_get_each_batch_in_outbox_order_inside_its_transaction(alice, settings):
    settings.AMQP_URL = ""
    settings.OUTBOX_DISPATCHERS = [f"{__name__}.record"]
    SEEN.clear()
    for amount in (1, 2, 3):
        earn(alice, amount)
    rows = list(OutboxEvent.objects.order_by("id"))
    err = StringIO()

    call_command("relay_events", "--batch-size", "2", stdout=StringIO(), stderr=err)

    assert "not to a broker" in err.getvalue()
    assert [len(batch) for batch, _, _ in SEEN] == [2] * (len(rows) // 2) + [1] * (len(rows) % 2)
    assert [e["id"] for batch, _, _ in SEEN for e in batch] == [str(r.event_id) for r in rows]
    assert all(in_atomic and unmarked == len(batch) for batch, in_atomic, unmarked in SEEN)
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_a_failing_dispatcher_leaves_the_batch_unpublished(alice):
    earn(alice, 1)

    def failing(envelopes):
        raise RuntimeError("downstream down")

    with pytest.raises(RuntimeError):
        relay_batch(publish=None, dispatch=[failing])

    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()
    assert relay_batch(publish=None, dispatch=[]) == OutboxEvent.objects.count()


def test_relay_events_takes_a_fractional_interval_and_refuses_a_negative_one(settings):
    settings.AMQP_URL = ""
    settings.OUTBOX_DISPATCHERS = [f"{__name__}.record"]
    with pytest.raises(CommandError):
        call_command("relay_events", "--interval", "-1")
    call_command("relay_events", "--interval", "0.1", stdout=StringIO(), stderr=StringIO())


@pytest.mark.parametrize("size", ["0", "-1"])
def test_relay_events_refuses_a_batch_size_below_one(alice, bound_queue, size):
    with pytest.raises(CommandError):
        call_command("relay_events", "--batch-size", size, stdout=StringIO())

    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()
