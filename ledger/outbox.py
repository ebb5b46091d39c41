"""Adding an event to the outbox, in the caller's database transaction: the event exists
exactly when the change it reports has committed. `ledger.relay` publishes it."""

from typing import Any

from django.db import transaction

from ledger.models import OutboxEvent


def add_event(*, topic: str, payload: dict[str, Any]) -> OutboxEvent:
    """Write one event for the relay to publish under `topic` (its routing key).

    Outside a transaction the event would commit on its own, even if the change it
    reports then failed; so one must be open.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("add_event() belongs inside the transaction of the change it reports")
    return OutboxEvent.objects.create(topic=topic, payload=payload)
