"""The outbox events of money in and out: `wallet.deposit.<status>`,
`wallet.withdrawal.<status>`, `wallet.payment.created`, `wallet.refund.created`.

Their types (version, description, JSON Schema of `data`, example) are registered into
the ledger's event catalogue from PaymentsConfig.ready: the ledger never imports
payments. Amounts are decimal strings with the asset's code, as in the API; a
withdrawal's destination only ever masked (****1234).
"""

from typing import Any

from core.amounts import format_amount
from ledger.events.catalogue import AMOUNT, ASSET, ID, EventType, Schema, register
from ledger.models import Asset
from ledger.outbox import add_event
from payments.models import Deposit, Withdrawal

# One type per status a deposit or withdrawal can reach: each change of status is announced.
DEPOSIT_STATUSES: tuple[str, ...] = tuple(Deposit.Status.values)
WITHDRAWAL_STATUSES: tuple[str, ...] = tuple(Withdrawal.Status.values)
PAYMENT_CREATED = "wallet.payment.created"
REFUND_CREATED = "wallet.refund.created"

TEXT: Schema = {"type": "string", "minLength": 1}
# Four characters after the mask, never more: the full number cannot fit.
MASKED_DESTINATION: Schema = {
    "type": "string",
    "pattern": r"^\*{4}[^*\s]{4}$",
    "description": "The destination account, masked: ****1234.",
}


def deposit_topic(status: str) -> str:
    return f"wallet.deposit.{status}"


def withdrawal_topic(status: str) -> str:
    return f"wallet.withdrawal.{status}"


def _object(properties: Schema) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


_DEPOSIT_WHEN = {
    "pending": "A deposit was opened and the provider asked to collect it; nothing is "
    "credited yet.",
    "succeeded": "The provider collected a deposit: its TOPUP is `transaction_id` "
    "(announced as wallet.transaction.posted as well).",
    "failed": "The provider could not collect a pending deposit; nothing was credited.",
    "expired": "A pending deposit passed its expiry (`expire_deposits`); nothing was credited.",
}
_WITHDRAWAL_WHEN = {
    "requested": "A withdrawal was requested: its amount is held (`hold_id`) and it awaits "
    "approval.",
    "approved": "A withdrawal was approved (by staff, or at once below the approval threshold).",
    "sent": "The provider was asked to pay a withdrawal out.",
    "completed": "The bank paid a withdrawal out: its hold was captured into PAYOUT.",
    "failed": "The bank returned a sent withdrawal: its hold was released.",
    "rejected": "Staff rejected a requested withdrawal: its hold was released.",
    "cancelled": "The owner cancelled a withdrawal before it was sent: its hold was released.",
}


def _deposit(status: str) -> EventType:
    # Credited exactly when it succeeded (the model's constraint): only then a transaction.
    credited = status == "succeeded"
    return EventType(
        deposit_topic(status),
        1,
        _DEPOSIT_WHEN[status],
        _object(
            {
                "deposit_id": ID,
                "user_id": ID,
                "provider": TEXT,
                "provider_reference": TEXT,
                "transaction_id": ID if credited else {"type": "null"},
                "amount": AMOUNT,
                "asset": ASSET,
            }
        ),
        {
            "deposit_id": 12,
            "user_id": 42,
            "provider": "simulated",
            "provider_reference": "sim_dep_5f0c2b1e9a7d4c3b8e6f1a2b3c4d5e6f",
            "transaction_id": 917 if credited else None,
            "amount": "25.00",
            "asset": "COIN",
        },
    )


def _withdrawal(status: str) -> EventType:
    return EventType(
        withdrawal_topic(status),
        1,
        _WITHDRAWAL_WHEN[status],
        _object(
            {
                "withdrawal_id": ID,
                "user_id": ID,
                "destination": MASKED_DESTINATION,
                "bank_name": TEXT,
                "hold_id": ID,
                "amount": AMOUNT,
                "asset": ASSET,
            }
        ),
        {
            "withdrawal_id": 8,
            "user_id": 42,
            "destination": "****3000",
            "bank_name": "Demo Bank",
            "hold_id": 31,
            "amount": "40.00",
            "asset": "COIN",
        },
    )


EVENT_TYPES: tuple[EventType, ...] = (
    *(_deposit(status) for status in DEPOSIT_STATUSES),
    *(_withdrawal(status) for status in WITHDRAWAL_STATUSES),
    EventType(
        PAYMENT_CREATED,
        1,
        "A wallet paid another service's order (`POST wallets/{user}/payments`); its "
        "SPEND (into REVENUE, reference = the order id) is `transaction_id`.",
        _object(
            {
                "payment_id": ID,
                "user_id": ID,
                "order_id": TEXT,
                "service": TEXT,
                "transaction_id": ID,
                "amount": AMOUNT,
                "asset": ASSET,
            }
        ),
        {
            "payment_id": 5,
            "user_id": 42,
            "order_id": "order-991",
            "service": "shop",
            "transaction_id": 918,
            "amount": "12.50",
            "asset": "COIN",
        },
    ),
    EventType(
        REFUND_CREATED,
        1,
        "Part or all of a payment went back to the wallet; its REFUND transaction is "
        "`transaction_id`.",
        _object(
            {
                "refund_id": ID,
                "payment_id": ID,
                "user_id": ID,
                "order_id": TEXT,
                "transaction_id": ID,
                "reason": TEXT,
                "amount": AMOUNT,
                "asset": ASSET,
            }
        ),
        {
            "refund_id": 3,
            "payment_id": 5,
            "user_id": 42,
            "order_id": "order-991",
            "transaction_id": 919,
            "reason": "item out of stock",
            "amount": "2.50",
            "asset": "COIN",
        },
    ),
)


def register_event_types() -> None:
    """Called once, from PaymentsConfig.ready."""
    register(*EVENT_TYPES)


def _money(amount: int, asset: Asset) -> dict[str, str]:
    return {"amount": format_amount(amount, scale=asset.scale), "asset": asset.code}


def emit(topic: str, *, user_id: int, amount: int, asset: Asset, **fields: Any) -> None:
    """Write the event for the user's wallet: `user_id` is also its ordering key."""
    add_event(
        topic=topic,
        payload={**fields, "user_id": user_id, **_money(amount, asset)},
        key=user_id,
    )
