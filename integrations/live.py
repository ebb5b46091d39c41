"""Pushing events to the sockets of `/ws/wallet/` through the channel layer.

Each user's sockets (and staff watching that user) are in the group `wallet.user.<id>`.
The dispatcher calls `push` from `transaction.on_commit`, so nothing is pushed for a
relay batch that rolled back. The channel layer is Redis when REDIS_URL is set: the
relay and the websocket server are separate processes and meet there. Without it the
in-memory layer reaches only sockets served by the relay's own process (tests, demos).
"""

import logging
from collections.abc import Sequence
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# The consumer method a group message is handed to (WalletConsumer.wallet_event).
MESSAGE_TYPE = "wallet.event"


def user_group(user_id: int) -> str:
    return f"wallet.user.{user_id}"


def push(messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
    """Send each (user id, message) to that user's group, in order. A channel layer that
    cannot be reached loses the pushes (logged): the socket is a live view, and the
    notification and the history stay the record."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return
    try:
        async_to_sync(_send_all)(layer, messages)
    except Exception:
        logger.warning("live push failed; %d messages dropped", len(messages), exc_info=True)


async def _send_all(layer: Any, messages: Sequence[tuple[int, dict[str, Any]]]) -> None:
    for user_id, message in messages:
        await layer.group_send(user_group(user_id), {"type": MESSAGE_TYPE, "message": message})
