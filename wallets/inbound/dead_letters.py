"""Messages that could not be applied after their attempts: kept in the database for the
admin (besides the broker's dead-letter queue), and replayed from there through the same
handler, so a message applied since (or replayed twice) changes nothing."""

import hashlib
import json
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from wallets.inbound.handlers import Outcome, handle
from wallets.inbound.messages import PoisonMessage, parse_message
from wallets.models import DeadLetter


class ReplayFailed(DomainError):
    code = "replay_failed"
    default_message = "The message still cannot be applied."


def message_key(body: bytes, message_id: str | None) -> str:
    """The message's id, or a hash of its body for one without (it cannot be deduplicated
    by id, but the same body dead-lettered twice is kept once)."""
    return message_id or f"sha256:{hashlib.sha256(body).hexdigest()}"


def record_dead_letter(
    *,
    body: bytes,
    message_id: str | None,
    type: str,
    routing_key: str,
    headers: dict[str, Any],
    reason: str,
    attempts: int,
) -> DeadLetter:
    """Keep (or update, when dead-lettered again) the message for the operator."""
    # PostgreSQL text holds no NUL; the body is kept readable, not byte-exact, when it
    # is not UTF-8 (such a body was never a message).
    text = body.decode("utf-8", "backslashreplace").replace("\x00", "\\x00")
    with transaction.atomic(durable=True):
        letter, _ = DeadLetter.objects.update_or_create(
            message_key=message_key(body, message_id),
            defaults={
                "message_id": message_id or "",
                "type": type[:100],
                "routing_key": routing_key[:255],
                "body": text,
                "headers": json.loads(json.dumps(headers, default=str)),
                "reason": reason,
                "attempts": attempts,
                "created_at": timezone.now(),
                "replayed_at": None,
                "replay_result": "",
            },
        )
    return letter


def replay_dead_letter(*, letter: DeadLetter) -> Outcome:
    """Apply the message again, through its handler; record what happened on the letter.

    Raises ReplayFailed with the reason when it still cannot apply.
    """
    try:
        message = parse_message(
            letter.body.encode(), message_id=letter.message_id or None, type=letter.type or None
        )
        outcome = handle(message)
    except PoisonMessage as poison:
        _note(letter, f"failed: {poison.reason}")
        raise ReplayFailed(poison.reason) from None
    _note(
        letter,
        ("duplicate: applied before, " if outcome.duplicate else "applied: ")
        + (json.dumps(outcome.result)),
    )
    return outcome


def _note(letter: DeadLetter, result: str) -> None:
    letter.replayed_at = timezone.now()
    letter.replay_result = result
    letter.save(update_fields=["replayed_at", "replay_result"])
