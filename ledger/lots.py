"""Expiry lots: every credit of an expiring asset to a user opens one; debits consume
the soonest-expiring first. Used by the posting engine only, under the account lock."""

from datetime import datetime, timedelta

from ledger.models import Asset, Lot


class LotsOutOfStep(AssertionError):
    """The open lots no longer add up to the balance: the ledger itself is damaged."""


class LotBook:
    """One account's open lots, loaded once, changed in memory in posting order, then saved:
    a batch may credit and debit the same wallet several times."""

    def __init__(self, account_id: int, asset: Asset):
        self.account_id = account_id
        self.asset = asset
        assert asset.expiry_days is not None, "only an expiring asset keeps lots"
        self.days_to_expiry: int = asset.expiry_days
        self.open = list(Lot.objects.filter(account_id=account_id, remaining__gt=0))
        self.new: list[Lot] = []

    def credit(self, entry_id: int, amount: int, at: datetime) -> None:
        lot = Lot(
            account_id=self.account_id,
            entry_id=entry_id,
            amount=amount,
            remaining=amount,
            expires_at=at + timedelta(days=self.days_to_expiry),
        )
        self.open.append(lot)
        self.new.append(lot)

    def debit(self, amount: int) -> None:
        still_needed = amount
        for lot in sorted(self.open, key=lambda lot: (lot.expires_at, lot.pk or float("inf"))):
            taken = min(lot.remaining, still_needed)
            lot.remaining -= taken
            still_needed -= taken
            if still_needed == 0:
                return
        raise LotsOutOfStep(f"account {self.account_id}: lots are {still_needed} short")

    def save(self) -> None:
        Lot.objects.bulk_create(self.new)
        Lot.objects.bulk_update([lot for lot in self.open if lot.pk], ["remaining"])
