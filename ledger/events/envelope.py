"""The envelope every published event travels in: `{"id", "type", "occurred_at",
"version", "data"}`, built from its outbox row."""

from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.timestamps import iso

if TYPE_CHECKING:
    from ledger.models import OutboxEvent


def make_envelope(
    *, event_id: str, type: str, occurred_at: datetime, version: int, data: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": type,
        "occurred_at": iso(occurred_at),
        "version": version,
        "data": data,
    }


def envelope(event: "OutboxEvent") -> dict[str, Any]:
    """The message body of an outbox row; the same on every redelivery."""
    return make_envelope(
        event_id=str(event.event_id),
        type=event.topic,
        occurred_at=event.created_at,
        version=event.version,
        data=event.payload,
    )
