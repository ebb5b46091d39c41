"""The catalogue of every event the service publishes: its type (the routing key), version,
when it is written, the JSON Schema (draft 2020-12) of its `data` and an example.

This module is the contract: `ledger.outbox.add_event` refuses a type it does not list,
the AsyncAPI document (`ledger.events.asyncapi`) is generated from it, and with
`OUTBOX_VALIDATE_EVENTS` on (the test settings) every event written is validated
against its schema. Changing a type's data in a way a consumer could notice (a field
removed, renamed or retyped) raises its version.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

Schema = dict[str, Any]

TRANSACTION_POSTED = "wallet.transaction.posted"
WALLET_CREATED = "wallet.created"
HOLD_PLACED = "wallet.hold.placed"
HOLD_CAPTURED = "wallet.hold.captured"
HOLD_VOIDED = "wallet.hold.voided"
HOLD_EXPIRED = "wallet.hold.expired"
WALLET_FROZEN = "wallet.frozen"
WALLET_UNFROZEN = "wallet.unfrozen"
REWARD_REDEEMED = "wallet.reward.redeemed"
POINTS_EXPIRED = "wallet.points.expired"
TRANSACTION_FINALIZED = "wallet.transactionFinalized"

# Amounts are decimal strings in the asset's scale, as the REST API writes them
# (core.amounts.format_amount): "12.50", "-3", never a float or raw minor units.
SIGNED_AMOUNT: Schema = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
AMOUNT: Schema = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?$"}
# ISO 8601 in UTC, as the API writes datetimes: 2026-05-01T09:30:00.123456Z.
TIMESTAMP: Schema = {
    "type": "string",
    "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$",
}
ID: Schema = {"type": "integer", "minimum": 1}
NULLABLE_ID: Schema = {"type": ["integer", "null"], "minimum": 1}
ASSET: Schema = {"type": "string", "minLength": 1, "description": "The asset's code."}


def _object(properties: Schema, *, optional: tuple[str, ...] = ()) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


WALLET: Schema = _object({"account_id": ID, "user_id": ID, "asset": ASSET})
HOLD: Schema = _object(
    {
        "hold_id": ID,
        "account_id": ID,
        "user_id": ID,
        "asset": ASSET,
        "amount": AMOUNT,
        "captured_amount": AMOUNT,
        "reference": {"type": "string"},
    }
)


@dataclass(frozen=True)
class EventType:
    type: str
    version: int
    when: str
    data: Schema
    example: dict[str, Any]

    @property
    def envelope_schema(self) -> Schema:
        """The whole message body: the envelope around this type's data."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.type,
            **_object(
                {
                    "id": {
                        "type": "string",
                        "format": "uuid",
                        "description": "Stable across redeliveries; also the AMQP message_id.",
                    },
                    "type": {"const": self.type},
                    "occurred_at": TIMESTAMP,
                    "version": {"const": self.version},
                    "data": self.data,
                }
            ),
        }


def _hold_example(status_amount: str) -> dict[str, Any]:
    return {
        "hold_id": 31,
        "account_id": 7,
        "user_id": 42,
        "asset": "GOLD",
        "amount": "5.00",
        "captured_amount": status_amount,
        "reference": "order-991",
    }


EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        TRANSACTION_POSTED,
        1,
        "A transaction was posted (every type: EARN, SPEND, TRANSFER, REVERSAL, EXPIRE, …), "
        "with its entries and each user wallet's balance after it.",
        _object(
            {
                "transaction_id": ID,
                "type": {"type": "string"},
                "reference": {"type": ["string", "null"]},
                "reverses": NULLABLE_ID,
                "created_at": TIMESTAMP,
                "entries": {
                    "type": "array",
                    "minItems": 2,
                    "items": _object(
                        {
                            "account_id": ID,
                            "user_id": {
                                **NULLABLE_ID,
                                "description": "null for a system account",
                            },
                            "asset": ASSET,
                            "amount": SIGNED_AMOUNT,
                            "balance_after": {
                                "anyOf": [SIGNED_AMOUNT, {"type": "null"}],
                                "description": "null for a system account",
                            },
                        }
                    ),
                },
            }
        ),
        {
            "transaction_id": 913,
            "type": "SPEND",
            "reference": "order-991",
            "reverses": None,
            "created_at": "2026-05-01T09:30:00.123456Z",
            "entries": [
                {
                    "account_id": 7,
                    "user_id": 42,
                    "asset": "GOLD",
                    "amount": "-12.50",
                    "balance_after": "87.50",
                },
                {
                    "account_id": 2,
                    "user_id": None,
                    "asset": "GOLD",
                    "amount": "12.50",
                    "balance_after": None,
                },
            ],
        },
    ),
    EventType(
        WALLET_CREATED,
        1,
        "A user's wallet for an asset was opened (at signup, or on first use of an asset "
        "added since).",
        WALLET,
        {"account_id": 7, "user_id": 42, "asset": "GOLD"},
    ),
    EventType(
        HOLD_PLACED, 1, "A hold reserved part of a wallet's balance.", HOLD, _hold_example("0.00")
    ),
    EventType(
        HOLD_CAPTURED,
        1,
        "A hold was captured: `captured_amount` was debited, the rest released.",
        HOLD,
        _hold_example("4.00"),
    ),
    EventType(
        HOLD_VOIDED, 1, "A hold was released without moving value.", HOLD, _hold_example("0.00")
    ),
    EventType(
        HOLD_EXPIRED,
        1,
        "A hold passed its expiry and was released (`expire_points`).",
        HOLD,
        _hold_example("0.00"),
    ),
    EventType(
        WALLET_FROZEN,
        1,
        "A wallet was frozen: it refuses debits and transfers.",
        WALLET,
        {"account_id": 7, "user_id": 42, "asset": "GOLD"},
    ),
    EventType(
        WALLET_UNFROZEN,
        1,
        "A frozen wallet was unfrozen.",
        WALLET,
        {"account_id": 7, "user_id": 42, "asset": "GOLD"},
    ),
    EventType(
        REWARD_REDEEMED,
        1,
        "A user redeemed a reward from the catalogue; its REDEEM transaction is "
        "`transaction_id` (announced as wallet.transaction.posted as well).",
        _object(
            {
                "redemption_id": ID,
                "reward_id": ID,
                "account_id": ID,
                "user_id": ID,
                "asset": ASSET,
                "quantity": ID,
                "amount": AMOUNT,
                "transaction_id": ID,
            }
        ),
        {
            "redemption_id": 5,
            "reward_id": 3,
            "account_id": 7,
            "user_id": 42,
            "asset": "GOLD",
            "quantity": 2,
            "amount": "40.00",
            "transaction_id": 914,
        },
    ),
    EventType(
        POINTS_EXPIRED,
        1,
        "What was left of a wallet's expired lots moved to EXPIRED (`expire_points`); its "
        "EXPIRE transaction is `transaction_id`.",
        _object(
            {
                "account_id": ID,
                "user_id": ID,
                "asset": ASSET,
                "amount": AMOUNT,
                "transaction_id": ID,
                "expired_before": TIMESTAMP,
            }
        ),
        {
            "account_id": 9,
            "user_id": 42,
            "asset": "CITY_POINTS",
            "amount": "120",
            "transaction_id": 915,
            "expired_before": "2026-05-01T00:00:00Z",
        },
    ),
    EventType(
        TRANSACTION_FINALIZED,
        1,
        "The answer to a `transaction.completed` or `transaction.failed` message (see "
        "Events in): what the external transaction did here.",
        _object(
            {
                "transaction_id": {"type": "string", "description": "The external id."},
                "status": {
                    "enum": ["completed", "rejected", "failed", "voided", "reverted", "ignored"]
                },
                "wallet_transaction": NULLABLE_ID,
                "reversed_transaction": ID,
                "wallet_hold": ID,
                "reason": {"type": "string"},
            },
            optional=("reversed_transaction", "wallet_hold", "reason"),
        ),
        {
            "transaction_id": "pay_8812",
            "status": "reverted",
            "wallet_transaction": 916,
            "reversed_transaction": 870,
        },
    ),
)
CATALOGUE: dict[str, EventType] = {event.type: event for event in EVENT_TYPES}


class UnknownEventType(ValueError):
    pass


def event_type(name: str) -> EventType:
    try:
        return CATALOGUE[name]
    except KeyError:
        raise UnknownEventType(f"{name!r} is not in the event catalogue (ledger.events)") from None


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(event_type(name).envelope_schema)


def validate_envelope(envelope: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless the envelope matches its type's schema."""
    _validator(event_type(envelope.get("type", "")).type).validate(envelope)
