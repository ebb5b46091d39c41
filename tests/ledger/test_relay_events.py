"""The outbox relay against the RabbitMQ running on this machine."""

import json
import os
import uuid
from io import StringIO

import pika
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

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


def test_relay_events_publishes_each_event_once(alice, bound_queue):
    channel, queue = bound_queue
    posted = earn(alice, 5)
    waiting = OutboxEvent.objects.filter(published_at__isnull=True).count()

    call_command("relay_events")
    call_command("relay_events")  # nothing left to send

    messages = _drain(channel, queue)
    assert len(messages) == waiting
    earned = [m for m in messages if m[1].get("transaction_id") == posted.pk]
    assert earned[0][0] == "ledger.transaction.posted"
    assert earned[0][2] == str(OutboxEvent.objects.get(payload__transaction_id=posted.pk).pk)
    assert not OutboxEvent.objects.filter(published_at__isnull=True).exists()


def test_relay_events_prints_its_summary_once_and_no_client_logging(alice, bound_queue, caplog):
    for _ in range(3):
        earn(alice, 1)
    waiting = OutboxEvent.objects.filter(published_at__isnull=True).count()
    out = StringIO()

    call_command("relay_events", "--batch-size", "2", stdout=out)

    assert out.getvalue() == f"published {waiting} events\n"
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pika")] == []


def test_relay_batch_marks_nothing_when_publishing_fails(alice):
    def broken(event):
        raise ConnectionError("broker gone")

    with pytest.raises(ConnectionError):
        relay_batch(publish=broken)

    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()


def test_relay_events_without_amqp_url_refuses(settings):
    settings.AMQP_URL = ""

    with pytest.raises(CommandError):
        call_command("relay_events")


@pytest.mark.parametrize("size", ["0", "-1"])
def test_relay_events_refuses_a_batch_size_below_one(alice, bound_queue, size):
    with pytest.raises(CommandError):
        call_command("relay_events", "--batch-size", size, stdout=StringIO())

    assert not OutboxEvent.objects.filter(published_at__isnull=False).exists()
