"""Envelopes as the relay hands them to dispatchers (ledger's outbox format), built by hand
or from a posted transaction."""

import uuid
from typing import Any

from django.utils import timezone

from core.amounts import format_amount
from ledger.models import Transaction


def envelope(type: str, data: dict[str, Any], *, id: str | None = None) -> dict[str, Any]:
    return {
        "id": id or str(uuid.uuid4()),
        "type": type,
        "occurred_at": timezone.now().isoformat(),
        "version": 1,
        "data": data,
    }


def posted(transaction_type: str, *entries: tuple[int | None, str, str, str | None]) -> dict:
    """wallet.transaction.posted with entries (user_id, asset, amount, balance_after)."""
    return envelope(
        "wallet.transaction.posted",
        {
            "transaction_id": 1000,
            "type": transaction_type,
            "reference": "order-7",
            "reverses": None,
            "created_at": timezone.now().isoformat(),
            "entries": [
                {
                    "account_id": 500 + index,
                    "user_id": user_id,
                    "asset": asset,
                    "amount": amount,
                    "balance_after": balance_after,
                }
                for index, (user_id, asset, amount, balance_after) in enumerate(entries)
            ],
        },
    )


def posted_from(txn: Transaction) -> dict:
    """The envelope the outbox holds for a committed transaction."""
    entries = txn.entries.select_related("account", "asset").order_by("id")
    return envelope(
        "wallet.transaction.posted",
        {
            "transaction_id": txn.pk,
            "type": txn.type,
            "reference": txn.reference,
            "reverses": txn.reverses_id,
            "created_at": txn.created_at.isoformat(),
            "entries": [
                {
                    "account_id": entry.account_id,
                    "user_id": entry.account.user_id,
                    "asset": entry.asset.code,
                    "amount": format_amount(entry.amount, scale=entry.asset.scale),
                    "balance_after": None
                    if entry.balance_after is None
                    else format_amount(entry.balance_after, scale=entry.asset.scale),
                }
                for entry in entries
            ],
        },
    )
