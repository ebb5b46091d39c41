"""`/ws/wallet/`: a user's live wallet events (integrations.live pushes them).

Authentication is the API's JWT access token, given as (first found wins):
- the `Authorization: Bearer <token>` header (server-side and mobile clients);
- the subprotocols `["wallet.bearer", "<token>"]` (browsers, which cannot set headers;
  the server answers with `wallet.bearer`);
- `?token=<token>` in the query string (simple, but the URL may reach proxy logs).
A missing, invalid or expired token, or a disabled user, has the handshake refused (HTTP
403). An accepted socket is closed with code 4401 when its token expires; the client
reconnects with a fresh one. A customer gets their own wallet's events; a user allowed to
view any wallet (staff, support) may add `?user=<id>` to watch that user's instead.
"""

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.exceptions import TokenError

from accounts.authentication import JWTAuthentication
from accounts.models import User
from integrations.live import user_group
from ledger.permissions import VIEW_ANY_WALLET

BEARER_SUBPROTOCOL = "wallet.bearer"
TOKEN_EXPIRED = 4401


class WalletConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None
    expiry: asyncio.TimerHandle | None = None

    async def connect(self) -> None:
        raw, subprotocol = _token(self.scope)
        found = await _authenticate(raw) if raw else None
        if found is None:
            await self.close()
            return
        user, expires_at = found
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        watched = user.pk
        if "user" in query:
            requested = query["user"][0]
            if not (requested.isascii() and requested.isdigit() and len(requested) <= 19):
                await self.close()
                return
            watched = int(requested)
            if watched != user.pk and not await _may_watch_others(user):
                await self.close()
                return
        self.group = user_group(watched)
        # Joined before the handshake completes: once a client is connected, no event
        # committed afterwards can miss it.
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept(subprotocol=subprotocol)
        delay = max(0.0, expires_at - time.time())
        self.expiry = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        asyncio.ensure_future(self.close(code=TOKEN_EXPIRED))

    async def disconnect(self, code: int) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """The socket is one-way; whatever a client sends is ignored."""

    async def wallet_event(self, event: dict[str, Any]) -> None:
        await self.send_json(event["message"])


def _token(scope: dict[str, Any]) -> tuple[str | None, str | None]:
    """The raw token and the subprotocol to answer with."""
    headers = dict(scope.get("headers", []))
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), None
    subprotocols = scope.get("subprotocols") or []
    if BEARER_SUBPROTOCOL in subprotocols:
        index = subprotocols.index(BEARER_SUBPROTOCOL)
        if index + 1 < len(subprotocols):
            return subprotocols[index + 1], BEARER_SUBPROTOCOL
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0], None
    return None, None


@database_sync_to_async
def _authenticate(raw: str) -> tuple[User, float] | None:
    """The token's active user and its expiry (unix seconds), or None."""
    authentication = JWTAuthentication()
    try:
        validated = authentication.get_validated_token(raw.encode())
        user = authentication.get_user(validated)
    except (TokenError, AuthenticationFailed):  # simplejwt's InvalidToken included
        return None
    return user, float(validated["exp"])


@database_sync_to_async
def _may_watch_others(user: User) -> bool:
    return user.has_perm(VIEW_ANY_WALLET)
