"""The envelope of an incoming message, and the error for one that can never apply.

Every message is `{"id", "type", "occurred_at", "version", "data"}` (DESIGN.md, events);
a message without an `id` falls back to the AMQP `message_id` property and one without
a `type` to the AMQP `type` property, then to its routing key. One with no id at all
cannot be deduplicated, so it is poison.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime

SUPPORTED_VERSION = 1
MAX_ID_LENGTH = 255


class PoisonMessage(Exception):
    """A message that cannot apply as it is (malformed, unknown type, invalid data, an
    unknown user): tried again a few times, then dead-lettered with `reason`."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Message:
    id: str
    type: str
    data: dict[str, Any]
    occurred_at: datetime | None = None


def parse_message(
    body: bytes, *, message_id: str | None = None, type: str | None = None
) -> Message:
    """Read a message body; `message_id` and `type` are the AMQP properties' fallbacks.

    Raises PoisonMessage naming what is wrong.
    """
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PoisonMessage(f"not JSON: {error}") from None
    if not isinstance(envelope, dict):
        raise PoisonMessage("not a JSON object")
    return Message(
        id=_message_id(envelope.get("id", message_id)),
        type=_message_type(envelope.get("type") or type),
        data=_data(envelope),
        occurred_at=_occurred_at(envelope.get("occurred_at")),
    )


def _message_id(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise PoisonMessage("no message id (neither `id` nor the message_id property)")
    if len(value) > MAX_ID_LENGTH:
        raise PoisonMessage(f"message id longer than {MAX_ID_LENGTH} characters")
    return value


def _message_type(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise PoisonMessage("no message type (neither `type` nor the type property)")
    return value


def _data(envelope: dict[str, Any]) -> dict[str, Any]:
    version = envelope.get("version", SUPPORTED_VERSION)
    if version != SUPPORTED_VERSION or isinstance(version, bool):
        raise PoisonMessage(f"unsupported version {version!r} (this consumer reads version 1)")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise PoisonMessage("`data` must be a JSON object")
    return data


def _occurred_at(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = parse_datetime(value) if isinstance(value, str) else None
    except ValueError:  # well-formed but impossible, such as a 13th month
        parsed = None
    if parsed is None:
        raise PoisonMessage("`occurred_at` must be an ISO 8601 date and time")
    # Without an offset, UTC (as the events this service publishes are written).
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def describe(body: bytes, *, message_id: str | None, type: str) -> tuple[str | None, str]:
    """The best id and type to file a message under, whatever state its body is in."""
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        envelope = None
    if not isinstance(envelope, dict):
        return message_id, type
    found_id = envelope.get("id", message_id)
    if isinstance(found_id, int) and not isinstance(found_id, bool):
        found_id = str(found_id)
    if not (isinstance(found_id, str) and found_id.strip() and len(found_id) <= MAX_ID_LENGTH):
        found_id = None
    found_type = envelope.get("type")
    return (
        found_id,
        found_type if isinstance(found_type, str) and found_type else type,
    )
