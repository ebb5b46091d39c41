"""Adding an event to the outbox, in the caller's database transaction: the event exists
exactly when the change it reports has committed. `ledger.relay` publishes it.

Each row gets its envelope's id, its type's version from the catalogue (ledger.events)
and a partition derived from the user it belongs to (its `key`). The relay publishes a
partition strictly in id order, and one wallet's events are written under its row lock
(or in the transaction that creates it), so their id order is their commit order: a
wallet's events are published in the order they happened.
"""

import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ledger.events.catalogue import event_type, validate_envelope
from ledger.events.envelope import make_envelope
from ledger.models import OutboxEvent

# (topic, payload, created_at, event id, version, partition): a row for the bulk insert
OutboxRow = tuple[str, dict[str, Any], datetime, uuid.UUID, int, int]


def partition_for(key: int | None) -> int:
    """The partition of a user's events (`key`: the user id); events of no user share 0."""
    return key % settings.OUTBOX_PARTITIONS if key else 0


def outbox_row(topic: str, payload: dict[str, Any], at: datetime, *, key: int | None) -> OutboxRow:
    """An event as the posting engine's bulk insert writes it (ledger.inserts)."""
    version = event_type(topic).version
    event_id = uuid.uuid4()
    if settings.OUTBOX_VALIDATE_EVENTS:
        validate_envelope(
            make_envelope(
                event_id=str(event_id), type=topic, occurred_at=at, version=version, data=payload
            )
        )
    return topic, payload, at, event_id, version, partition_for(key)


def add_event(*, topic: str, payload: dict[str, Any], key: int | None) -> OutboxEvent:
    """Write one event of the catalogue's type `topic` (its routing key) for the relay.

    `key` is the id of the user whose wallet the event concerns (None: no user); it
    decides the partition, hence the ordering the relay keeps. Outside a transaction the
    event would commit on its own, even if the change it reports then failed; so one
    must be open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("add_event() belongs inside the transaction of the change it reports")
    topic, payload, at, event_id, version, partition = outbox_row(
        topic, payload, timezone.now(), key=key
    )
    return OutboxEvent.objects.create(
        event_id=event_id,
        topic=topic,
        version=version,
        partition=partition,
        payload=payload,
        created_at=at,
    )
