"""Reading outbox event envelopes, and what each one means for the users it concerns.

An envelope is `{"id", "type", "occurred_at", "version", "data"}` (ledger's outbox). This
module checks its shape and turns each event into `UserEvent`s: one per user the event
concerns, named with the socket's event names. It reads no database.

Socket names by transaction type (the README's table):

| transaction type | event |
| --- | --- |
| TOPUP, REFUND | wallet:funds_added |
| TRANSFER | wallet:funds_added for the recipient, wallet:funds_withdrawn for the sender |
| SPEND, REDEEM, CAPTURE | wallet:payment_processed |
| EARN, BONUS | wallet:gamification_reward |
| CONVERT, EXPIRE, REVERSAL, ADJUSTMENT, any other | wallet:balance_updated |
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TRANSACTION_POSTED = "wallet.transaction.posted"
WALLET_CREATED = "wallet.created"
HOLD_EVENTS = {f"wallet.hold.{state}" for state in ("placed", "captured", "voided", "expired")}
STATUS_EVENTS = {"wallet.frozen", "wallet.unfrozen"}

CREATED = "wallet:created"
FUNDS_ADDED = "wallet:funds_added"
FUNDS_WITHDRAWN = "wallet:funds_withdrawn"
PAYMENT_PROCESSED = "wallet:payment_processed"
GAMIFICATION_REWARD = "wallet:gamification_reward"
BALANCE_UPDATED = "wallet:balance_updated"
SOCKET_EVENTS = [
    CREATED,
    FUNDS_ADDED,
    FUNDS_WITHDRAWN,
    PAYMENT_PROCESSED,
    GAMIFICATION_REWARD,
    BALANCE_UPDATED,
]

EVENT_BY_TRANSACTION_TYPE = {
    "TOPUP": FUNDS_ADDED,
    "REFUND": FUNDS_ADDED,
    "SPEND": PAYMENT_PROCESSED,
    "REDEEM": PAYMENT_PROCESSED,
    "CAPTURE": PAYMENT_PROCESSED,
    "EARN": GAMIFICATION_REWARD,
    "BONUS": GAMIFICATION_REWARD,
}


class EnvelopeError(ValueError):
    """An envelope, or its data, is not in the documented format."""


@dataclass(frozen=True)
class Envelope:
    id: uuid.UUID
    type: str
    occurred_at: str
    version: int
    data: Mapping[str, Any]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class UserEvent:
    """What one event means to one user: the socket message's name and data, and whether it
    becomes an in-app notification (`notify`, with the params its message is written from)."""

    user_id: int
    name: str
    data: dict[str, Any]
    notify: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.name.removeprefix("wallet:")


def parse_envelope(raw: object) -> Envelope:
    if not isinstance(raw, Mapping):
        raise EnvelopeError("an envelope is a JSON object")
    try:
        event_id = uuid.UUID(_text(raw, "id"))
    except ValueError:
        raise EnvelopeError("id is not a UUID") from None
    version = raw.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise EnvelopeError("version is not an integer")
    data = raw.get("data")
    if not isinstance(data, Mapping):
        raise EnvelopeError("data is not an object")
    return Envelope(
        id=event_id,
        type=_text(raw, "type"),
        occurred_at=_text(raw, "occurred_at"),
        version=version,
        data=data,
        raw=raw,
    )


def user_events(envelope: Envelope) -> list[UserEvent]:
    """The users an event concerns and what it means to each; [] for events about no
    user's wallet (wallet.transactionFinalized, types this version does not know)."""
    if envelope.type == TRANSACTION_POSTED:
        return _transaction_events(envelope.data)
    if envelope.type == WALLET_CREATED:
        data = _wallet_fields(envelope.data)
        return [UserEvent(user_id=data.pop("user_id"), name=CREATED, data=data)]
    if envelope.type in HOLD_EVENTS:
        data = _wallet_fields(envelope.data)
        for name in ("hold_id", "amount"):
            data[name] = _required(envelope.data, name)
        for name in ("captured_amount", "reference"):
            data[name] = envelope.data.get(name)
        reason = envelope.type.removeprefix("wallet.")
        user_id = data.pop("user_id")
        return [UserEvent(user_id=user_id, name=BALANCE_UPDATED, data={"reason": reason, **data})]
    if envelope.type in STATUS_EVENTS:
        data = _wallet_fields(envelope.data)
        status = envelope.type.removeprefix("wallet.")
        user_id = data.pop("user_id")
        return [
            UserEvent(
                user_id=user_id,
                name=BALANCE_UPDATED,
                data={"reason": status, **data},
                notify=True,
                params={"kind": status, "asset": data["asset"]},
            )
        ]
    return []


def socket_event_name(transaction_type: str, amounts: list[str]) -> str:
    """The name of a posted transaction's event for a user whose entries have `amounts`."""
    if transaction_type == "TRANSFER":
        credited = any(not amount.startswith("-") for amount in amounts)
        return FUNDS_ADDED if credited else FUNDS_WITHDRAWN
    return EVENT_BY_TRANSACTION_TYPE.get(transaction_type, BALANCE_UPDATED)


def _transaction_events(data: Mapping[str, Any]) -> list[UserEvent]:
    transaction_type = _text(data, "type")
    transaction_id = _required(data, "transaction_id")
    entries = data.get("entries")
    if not isinstance(entries, list) or not entries:
        raise EnvelopeError("data.entries is not a non-empty list")
    by_user: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        if not isinstance(entry, Mapping):
            raise EnvelopeError("an entry is not an object")
        user_id = entry.get("user_id")
        if user_id is None:
            continue  # a system account's leg
        by_user.setdefault(_user_id(user_id), []).append(
            {
                "account_id": _required(entry, "account_id"),
                "asset": _text(entry, "asset"),
                "amount": _decimal_text(entry, "amount"),
                "balance_after": entry.get("balance_after"),
            }
        )
    events = []
    for user_id, own_entries in by_user.items():
        name = socket_event_name(transaction_type, [entry["amount"] for entry in own_entries])
        message = {
            "transaction_id": transaction_id,
            "type": transaction_type,
            "reference": data.get("reference"),
            "reverses": data.get("reverses"),
            "created_at": data.get("created_at"),
            "entries": own_entries,
        }
        params = {
            "type": transaction_type,
            "reference": data.get("reference"),
            "entries": [
                {"asset": entry["asset"], "amount": entry["amount"]} for entry in own_entries
            ],
        }
        events.append(UserEvent(user_id, name, message, notify=True, params=params))
    return events


def _wallet_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "user_id": _user_id(_required(data, "user_id")),
        "account_id": _required(data, "account_id"),
        "asset": _text(data, "asset"),
    }


def _required(data: Mapping[str, Any], name: str) -> Any:
    if data.get(name) is None:
        raise EnvelopeError(f"{name} is missing")
    return data[name]


def _text(data: Mapping[str, Any], name: str) -> str:
    value = _required(data, name)
    if not isinstance(value, str) or not value:
        raise EnvelopeError(f"{name} is not a non-empty string")
    return value


def _decimal_text(data: Mapping[str, Any], name: str) -> str:
    value = _text(data, name)
    digits = value.removeprefix("-")
    if not digits.replace(".", "", 1).isascii() or not digits.replace(".", "", 1).isdigit():
        raise EnvelopeError(f"{name} is not a decimal string")
    return value


def _user_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise EnvelopeError("user_id is not an integer")
    return value
