"""Relays outbox events to RabbitMQ, at least once, in the order they were written.

Rows are claimed with SKIP LOCKED so several relays can run side by side; a batch
is marked published only after the broker confirmed every message in it. A crash
in between publishes the batch again, so consumers deduplicate on `message_id`
(the event id).
"""

import json
from collections.abc import Callable

import pika
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger.models import OutboxEvent

Publish = Callable[[OutboxEvent], None]


def relay_batch(*, publish: Publish, batch_size: int = 100) -> int:
    """Publish up to `batch_size` unpublished events; return how many were sent."""
    with transaction.atomic():
        events = list(
            OutboxEvent.objects.filter(published_at__isnull=True)
            .order_by("id")
            .select_for_update(skip_locked=True)[:batch_size]
        )
        for event in events:
            publish(event)
        OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
            published_at=timezone.now()
        )
        return len(events)


class RabbitPublisher:
    """Publishes to a durable topic exchange with publisher confirms."""

    def __init__(self, url: str | None = None, exchange: str | None = None):
        self.exchange = exchange or settings.AMQP_EXCHANGE
        self.connection = pika.BlockingConnection(pika.URLParameters(url or settings.AMQP_URL))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self.channel.confirm_delivery()

    def __call__(self, event: OutboxEvent) -> None:
        self.channel.basic_publish(
            exchange=self.exchange,
            routing_key=event.topic,
            body=json.dumps(event.payload).encode(),
            properties=pika.BasicProperties(
                message_id=str(event.pk),
                content_type="application/json",
                delivery_mode=pika.DeliveryMode.Persistent,
                timestamp=int(event.created_at.timestamp()),
                type=event.topic,
            ),
            mandatory=False,
        )

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()
