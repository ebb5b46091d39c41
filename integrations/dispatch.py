"""The outbox dispatcher: `settings.OUTBOX_DISPATCHERS` names `dispatch`, which `relay_batch`
calls with each batch's envelopes, in outbox order, inside the transaction that marks them
published. So the rows written here (notifications, webhook deliveries) exist exactly once
per event, and socket pushes wait for that transaction's commit.
"""

import logging
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from django.db import transaction

from accounts.models import User
from integrations.events import Envelope, EnvelopeError, parse_envelope, user_events
from integrations.live import push
from integrations.models import Notification
from integrations.webhooks.services import queue_deliveries

logger = logging.getLogger(__name__)


def dispatch(envelopes: Sequence[Mapping[str, Any]]) -> None:
    """Notify, queue webhook deliveries and (after commit) push to sockets for each event.

    An envelope not in the documented format is logged and skipped, so one bad event
    cannot hold up the relay; a database error propagates and rolls the batch back, to be
    relayed (and dispatched) again.
    """
    parsed: list[Envelope] = []
    messages: list[tuple[int, dict[str, Any]]] = []
    notifications: list[Notification] = []
    for raw in envelopes:
        try:
            envelope = parse_envelope(raw)
            meanings = user_events(envelope)
        except EnvelopeError as error:
            logger.warning(
                "skipped an outbox envelope not in the documented format: %s (id %r, type %r)",
                error,
                raw.get("id") if isinstance(raw, Mapping) else None,
                raw.get("type") if isinstance(raw, Mapping) else None,
            )
            continue
        parsed.append(envelope)
        for meaning in meanings:
            messages.append(
                (
                    meaning.user_id,
                    {
                        "event": meaning.name,
                        "id": str(envelope.id),
                        "occurred_at": envelope.occurred_at,
                        "data": {"user_id": meaning.user_id, **meaning.data},
                    },
                )
            )
            if meaning.notify:
                notifications.append(
                    Notification(
                        user_id=meaning.user_id,
                        event_id=envelope.id,
                        event_type=envelope.type,
                        kind=meaning.params.get("kind", meaning.kind),
                        params=meaning.params,
                    )
                )
    if notifications:
        # A user deleted since the event has no one to notify (and would fail the foreign
        # key at commit, holding up the relay); the constraint keeps one row per (event,
        # user) should a batch ever be dispatched twice.
        users = {notification.user_id for notification in notifications}
        existing = set(User.objects.filter(pk__in=users).values_list("pk", flat=True))
        Notification.objects.bulk_create(
            [n for n in notifications if n.user_id in existing], ignore_conflicts=True
        )
    queue_deliveries(parsed)
    if messages:
        transaction.on_commit(partial(push, messages), robust=True)
