from django.core.management.base import BaseCommand, CommandError

from ledger.management.progress import ProgressLine
from rewards.campaigns import run_campaign
from rewards.errors import CampaignDone
from rewards.models import Campaign


class Command(BaseCommand):
    help = "Pay a bonus campaign to its audience, each user once. Resumable after interruption."

    def add_arguments(self, parser) -> None:
        parser.add_argument("campaign_id", type=int)

    def handle(self, *args, campaign_id: int, **options) -> None:
        campaign = Campaign.objects.select_related("asset").filter(pk=campaign_id).first()
        if campaign is None:
            raise CommandError(f"No campaign {campaign_id}.")
        progress = ProgressLine(self.stdout, f"campaign {campaign.pk} {campaign.name!r}")
        try:
            payout = run_campaign(campaign, progress=progress)
        except CampaignDone:
            raise CommandError(
                f"Campaign {campaign.pk} is done: it pays its audience once, and whoever "
                "joined the audience since would be paid now. Nothing was paid."
            ) from None
        progress.finish()
        self.stdout.write(
            f"Paid {payout.paid}, already paid {payout.already_paid}, failed {len(payout.failed)}."
        )
        if payout.failed:
            raise CommandError(f"Not paid (user id: reason): {payout.failed}")
        self.stdout.write(self.style.SUCCESS(f"Campaign {campaign.pk} is done."))
