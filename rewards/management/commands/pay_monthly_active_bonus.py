from datetime import date, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ledger.management.progress import ProgressLine
from ledger.models import Asset
from rewards.campaigns import pay_monthly_active_bonus
from rewards.errors import PeriodNotOver
from rewards.periods import wallet_today


class Command(BaseCommand):
    help = "Pay the monthly active-user bonus to everyone who earned in a month. Re-runnable."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: last month).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Pay a month that is not over yet (who earns later in it is not paid).",
        )

    def handle(self, *args, month: str | None, force: bool, **options) -> None:
        if month:
            try:
                first = date.fromisoformat(f"{month}-01")
            except ValueError:
                raise CommandError("--month takes YYYY-MM.") from None
        else:
            first = (wallet_today().replace(day=1) - timedelta(days=1)).replace(day=1)
        asset = Asset.objects.get(code=settings.MONTHLY_ACTIVE_BONUS_ASSET)
        progress = ProgressLine(self.stdout, f"active in {first:%Y-%m}")
        try:
            payout = pay_monthly_active_bonus(
                month=first,
                asset=asset,
                amount=settings.MONTHLY_ACTIVE_BONUS_AMOUNT,
                progress=progress,
                force=force,
            )
        except PeriodNotOver:
            raise CommandError(
                f"{first:%Y-%m} is not over yet; nothing was paid. Use --force to pay it anyway."
            ) from None
        progress.finish()
        self.stdout.write(
            f"Paid {payout.paid}, already paid {payout.already_paid}, failed {len(payout.failed)}."
        )
        if payout.failed:
            raise CommandError(f"Not paid (user id: reason): {payout.failed}")
        self.stdout.write(self.style.SUCCESS("Done."))
