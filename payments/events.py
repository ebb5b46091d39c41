"""The outbox events of money in and out: `wallet.deposit.<status>`,
`wallet.withdrawal.<status>`, `wallet.payment.created`, `wallet.refund.created`.
Amounts are decimal strings with the asset's code, as in the API."""

from typing import Any

from core.amounts import format_amount
from ledger.models import Asset
from ledger.outbox import add_event


def _money(amount: int, asset: Asset) -> dict[str, str]:
    return {"amount": format_amount(amount, scale=asset.scale), "asset": asset.code}


def emit(topic: str, *, amount: int, asset: Asset, **fields: Any) -> None:
    add_event(topic=topic, payload={**fields, **_money(amount, asset)})
