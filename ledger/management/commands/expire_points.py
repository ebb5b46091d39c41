from django.core.management.base import BaseCommand
from django.utils import timezone

from ledger.management.progress import ProgressLine
from ledger.models import Lot
from ledger.services import expire_lots, release_expired_holds


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
        expired = amount = 0
        for done, account_id in enumerate(due.iterator(), start=1):
            posted = expire_lots(account_id=account_id, now=now)
            if posted is not None:
                expired += 1
                amount += posted.entries.filter(amount__gt=0).get().amount
            progress(done, total)
        progress.finish()
        self.stdout.write(
            self.style.SUCCESS(
                f"Expired {amount} minor units from {expired} wallets; released {released} holds."
            )
        )
