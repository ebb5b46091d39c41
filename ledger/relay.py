"""Relays outbox events to RabbitMQ and to the configured dispatchers, at least once,
each wallet's events in the order they committed.

**Ordering with several relays.** Every outbox row has a partition derived from the
user it concerns (ledger.outbox). A relay's batch runs in one database transaction: it
takes partitions with a transaction-scoped advisory lock (`pg_try_advisory_xact_lock`,
so relays never wait on each other, they take other partitions), reads each taken
partition's unpublished rows in id order, publishes them, hands the batch to the
dispatchers, marks the rows published and commits, which releases the partitions. So
one partition is published by one relay at a time, strictly in id order, and the next
relay to take it starts after the last one's marks committed. One wallet's events
are written under its row lock, so their id order is their commit order.
SQLite serialises whole batches instead (BEGIN IMMEDIATE): one relay at a time.

A batch is marked published only after the broker confirmed every message in it and
every dispatcher returned; a crash in between publishes the batch again, so consumers
deduplicate on the envelope's `id` (also the AMQP `message_id`).
"""

import json
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import pika
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from ledger.events.envelope import envelope
from ledger.models import OutboxEvent

Envelope = Mapping[str, Any]
Publish = Callable[[Envelope], None]
Dispatch = Callable[[Sequence[Envelope]], None]

# The advisory locks' first key: the outbox's namespace (the second is the partition).
PARTITION_LOCKS = 0x0B0C  # "outbox"; idempotency keys use the one-bigint key space

PARTITIONS_WAITING = """
SELECT p FROM generate_series(0, %s - 1) AS p WHERE EXISTS (
    SELECT 1 FROM ledger_outboxevent WHERE published_at IS NULL AND partition = p
)
"""


def dispatchers() -> list[Dispatch]:
    """settings.OUTBOX_DISPATCHERS, imported."""
    return [import_string(path) for path in settings.OUTBOX_DISPATCHERS]


def relay_batch(
    *,
    publish: Publish | None,
    batch_size: int = 100,
    dispatch: Sequence[Dispatch] | None = None,
) -> int:
    """Publish up to `batch_size` unpublished events (with `publish`, unless None) and hand
    them to the dispatchers (settings.OUTBOX_DISPATCHERS unless `dispatch` is given), in
    outbox order; mark them published in the same transaction. Return how many."""
    dispatch = dispatchers() if dispatch is None else dispatch
    with transaction.atomic():
        events = _claim(batch_size)
        if not events:
            return 0
        envelopes = [envelope(event) for event in events]
        if publish is not None:
            for body in envelopes:
                publish(body)  # returns once the broker confirmed it
        for handler in dispatch:
            handler(envelopes)
        OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            published_at=timezone.now()
        )
        return len(events)


def _claim(batch_size: int) -> list[OutboxEvent]:
    """This batch's events, in id order: on PostgreSQL from the partitions this relay could
    lock (in random order, so that relays spread over them), until the batch is full."""
    unpublished = OutboxEvent.objects.filter(published_at__isnull=True).order_by("id")
    if connection.vendor != "postgresql":
        return list(unpublished[:batch_size])
    with connection.cursor() as cursor:
        cursor.execute(PARTITIONS_WAITING, [settings.OUTBOX_PARTITIONS])
        waiting = [row[0] for row in cursor.fetchall()]
        random.shuffle(waiting)
        events: list[OutboxEvent] = []
        for partition in waiting:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [PARTITION_LOCKS, partition])
            if not cursor.fetchone()[0]:
                continue  # another relay is publishing it
            events += unpublished.filter(partition=partition)[: batch_size - len(events)]
            if len(events) >= batch_size:
                break
    return sorted(events, key=lambda event: event.pk)


class RabbitPublisher:
    """Publishes envelopes to a durable topic exchange with publisher confirms; the
    routing key is the event's type."""

    def __init__(self, url: str | None = None, exchange: str | None = None):
        self.exchange = exchange or settings.AMQP_EXCHANGE
        self.connection = pika.BlockingConnection(pika.URLParameters(url or settings.AMQP_URL))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self.channel.confirm_delivery()

    def __call__(self, body: Envelope) -> None:
        self.channel.basic_publish(
            exchange=self.exchange,
            routing_key=body["type"],
            body=json.dumps(body).encode(),
            properties=pika.BasicProperties(
                message_id=body["id"],
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                timestamp=int(datetime.fromisoformat(body["occurred_at"]).timestamp()),
                type=body["type"],
            ),
            mandatory=False,
        )

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()
