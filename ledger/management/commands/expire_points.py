from collections import Counter

from django.core.management.base import BaseCommand
from django.utils import timezone

from core.amounts import format_amount
from ledger.management.progress import ProgressLine
from ledger.models import Asset, Lot
from ledger.services.expiry import expire_lots
from ledger.services.holds import release_expired_holds


class Command(BaseCommand):
    help = (
        "Move what is left of expired lots to the EXPIRED account (one EXPIRE transaction per "
        "wallet) and release expired holds. Safe to interrupt and run again."
    )

    def handle(self, *args, **options) -> None:
        now = timezone.now()
        released = release_expired_holds(now=now)
        due = (
            Lot.objects.filter(remaining__gt=0, expires_at__lte=now)
            .values_list("account_id", flat=True)
            .distinct()
            .order_by("account_id")
        )
        total = due.count()
        progress = ProgressLine(self.stdout, "wallets", every=100)
        expired = 0
        per_asset: Counter[Asset] = Counter()
        for done, account_id in enumerate(due.iterator(), start=1):
            posted = expire_lots(account_id=account_id, now=now)
            if posted is not None:
                expired += 1
                credit = posted.entries.select_related("asset").get(amount__gt=0)
                per_asset[credit.asset] += credit.amount
            progress(done, total)
        progress.finish()
        self.stdout.write(
            self.style.SUCCESS(
                f"Expired {shown_totals(per_asset)} from {expired} wallets; "
                f"released {released} holds."
            )
        )


def shown_totals(per_asset: Counter[Asset]) -> str:
    """Each asset's total in its own units ("5.25 COIN, 80 CITY_POINTS"): minor units of
    different assets do not add up."""
    if not per_asset:
        return "nothing"
    return ", ".join(
        f"{format_amount(amount, scale=asset.scale)} {asset.code}"
        for asset, amount in sorted(per_asset.items(), key=lambda item: item[0].code)
    )
