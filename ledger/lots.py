"""Expiry lots: every credit of an expiring asset to a user opens one; debits consume
the soonest-expiring first. Called by the posting engine only, under the account lock."""

from datetime import timedelta

from ledger.models import Account, Entry, Lot


class LotsOutOfStep(AssertionError):
    """The open lots no longer add up to the balance: the ledger itself is damaged."""


def open_lot(*, account: Account, entry: Entry) -> Lot:
    return Lot(
        account=account,
        entry=entry,
        amount=entry.amount,
        remaining=entry.amount,
        expires_at=entry.created_at + timedelta(days=account.asset.expiry_days),
    )


def consume_lots(*, account: Account, amount: int) -> list[Lot]:
    """Take `amount` from the account's open lots, soonest-expiring first; return those changed."""
    changed: list[Lot] = []
    still_needed = amount
    for lot in Lot.objects.filter(account=account, remaining__gt=0).order_by("expires_at", "id"):
        taken = min(lot.remaining, still_needed)
        lot.remaining -= taken
        still_needed -= taken
        changed.append(lot)
        if still_needed == 0:
            return changed
    raise LotsOutOfStep(f"account {account.pk}: lots are {still_needed} short of the balance")
