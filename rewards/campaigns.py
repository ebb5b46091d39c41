"""Bonus campaigns and the monthly active-user bonus: pay many users once each.

Payments are BONUS transactions, BATCH users per database transaction, each with an
idempotency key naming the campaign and the user, so a run stopped at any point can
be run again: users already paid are replays, nobody is paid twice. The campaign also keeps the last
user id it reached, so a resumed run starts there instead of from the top. A campaign
that is done is not run again (its audience may have grown since), and a month is paid
its active bonus only once it is over, unless forced.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import batched
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from ledger.models import Account, AccountPurpose, Asset, DailyTotal, TransactionType
from ledger.posting import Leg, Posted, Posting, Refused, Replayed, post_batch
from ledger.reference import get_system_account
from rewards.errors import CampaignDone, PeriodNotOver
from rewards.models import Campaign
from rewards.periods import wallet_today
from wallets.services import get_wallets

Progress = Callable[[int, int], None]
# What a user does (or is paid for doing); grants, expiry and staff corrections are not activity.
USER_ACTIVITY = [
    TransactionType.TOPUP,
    TransactionType.EARN,
    TransactionType.SPEND,
    TransactionType.TRANSFER,
    TransactionType.CONVERT,
    TransactionType.REDEEM,
    TransactionType.CAPTURE,
]
BATCH = 200
CHECKPOINT_EVERY = 200


@dataclass
class Payout:
    paid: int = 0
    already_paid: int = 0
    failed: dict[int, str] = field(default_factory=dict)


def campaign_audience(campaign: Campaign) -> QuerySet[User]:
    active = User.objects.filter(is_active=True)
    if campaign.audience == Campaign.Audience.EXPLICIT:
        return active.filter(pk__in=campaign.users.values("pk"))
    if campaign.audience == Campaign.Audience.SEGMENT:
        return segment(active.filter(groups__name="customer"), campaign)
    if campaign.audience == Campaign.Audience.MIN_EARN_EVENTS:
        earners = (
            DailyTotal.objects.filter(type=TransactionType.EARN)
            .values("account__user_id")
            .annotate(events=Sum("entries"))
            .filter(events__gte=campaign.min_earn_events)
            .values("account__user_id")
        )
        return active.filter(pk__in=earners)
    return active.filter(groups__name="customer")


def segment(users: QuerySet[User], campaign: Campaign) -> QuerySet[User]:
    """The users matching each of the campaign's segment filters that is set. Balances
    and activity come from the wallet rows and the daily totals, never the entries."""
    if campaign.joined_since:
        midnight = datetime.combine(
            campaign.joined_since, time.min, tzinfo=ZoneInfo(settings.WALLET_TIME_ZONE)
        )
        users = users.filter(date_joined__gte=midnight)
    if campaign.segment_asset_id:
        wallets = Account.objects.filter(asset_id=campaign.segment_asset_id, user__isnull=False)
        if campaign.balance_min is not None:
            wallets = wallets.filter(balance__gte=campaign.balance_min)
        if campaign.balance_max is not None:
            wallets = wallets.filter(balance__lte=campaign.balance_max)
        users = users.filter(pk__in=wallets.values("user_id"))
    if campaign.active_since:
        active = DailyTotal.objects.filter(day__gte=campaign.active_since, type__in=USER_ACTIVITY)
        users = users.filter(pk__in=active.values("account__user_id"))
    return users


def audience_cost(campaign: Campaign) -> tuple[int, int]:
    """(users still to pay, what paying them costs in minor units of the campaign's asset)."""
    remaining = campaign_audience(campaign).filter(pk__gt=campaign.paid_up_to_user).count()
    return remaining, remaining * campaign.amount


def pay_each_once(
    *,
    users: Iterable[int],
    total: int,
    asset: Asset,
    amount: int,
    key_prefix: str,
    description: str,
    progress: Progress | None = None,
    checkpoint: Callable[[int], None] | None = None,
) -> Payout:
    """BONUS `amount` to each user id once (key `{key_prefix}:{user id}`), BATCH users per
    database transaction through the posting engine's batch entry point."""
    payout = Payout()
    bonus = get_system_account(purpose=AccountPurpose.BONUS, asset=asset)
    done = 0
    for chunk in batched(users, BATCH):
        wallets = get_wallets(user_ids=set(chunk), asset_ids={asset.pk})
        postings = [
            Posting(
                type=TransactionType.BONUS,
                legs=[Leg(bonus, -amount), Leg(wallets[user_id, asset.pk], amount)],
                idempotency_key=f"{key_prefix}:{user_id}",
                reference=key_prefix,
                description=description,
            )
            for user_id in chunk
        ]
        for user_id, outcome in zip(chunk, post_batch(postings), strict=True):
            match outcome:
                case Posted():
                    payout.paid += 1
                case Replayed():  # paid by an earlier run, or by a run going on at once
                    payout.already_paid += 1
                case Refused(error):
                    payout.failed[user_id] = error.code
        before, done = done, done + len(chunk)
        if checkpoint and done // CHECKPOINT_EVERY > before // CHECKPOINT_EVERY:
            checkpoint(chunk[-1])
        if progress:
            progress(done, total)
    return payout


def run_campaign(campaign: Campaign, *, progress: Progress | None = None) -> Payout:
    """Pay the campaign's audience, resuming after the last checkpoint of an earlier run.
    Raises CampaignDone for a campaign already paid out: users who joined its audience
    since would be paid by a second run."""
    if campaign.status == Campaign.Status.DONE:
        raise CampaignDone(details={"campaign": campaign.pk, "finished_at": campaign.finished_at})
    if campaign.status == Campaign.Status.DRAFT:
        campaign.status = Campaign.Status.RUNNING
        campaign.save(update_fields=["status"])
    remaining = campaign_audience(campaign).filter(pk__gt=campaign.paid_up_to_user)

    def checkpoint(user_id: int) -> None:
        Campaign.objects.filter(pk=campaign.pk).update(paid_up_to_user=user_id)

    payout = pay_each_once(
        users=remaining.order_by("pk").values_list("pk", flat=True).iterator(),
        total=remaining.count(),
        asset=campaign.asset,
        amount=campaign.amount,
        key_prefix=f"campaign:{campaign.pk}",
        description=campaign.name,
        progress=progress,
        checkpoint=checkpoint,
    )
    if not payout.failed:
        campaign.status = Campaign.Status.DONE
        campaign.finished_at = timezone.now()
        campaign.save(update_fields=["status", "finished_at"])
    return payout


def pay_monthly_active_bonus(
    *,
    month: date,
    asset: Asset,
    amount: int,
    progress: Progress | None = None,
    force: bool = False,
) -> Payout:
    """A BONUS for every user who earned anything in the month starting at `month`.
    Raises PeriodNotOver for a month not over yet (today in WALLET_TIME_ZONE), unless
    forced: users who earn later in the month would miss a payout made now."""
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    if next_month > wallet_today() and not force:
        raise PeriodNotOver(details={"month": f"{month:%Y-%m}", "ends": next_month.isoformat()})
    earners = (
        DailyTotal.objects.filter(type=TransactionType.EARN, day__gte=month, day__lt=next_month)
        .values_list("account__user_id", flat=True)
        .distinct()
        .order_by("account__user_id")
    )
    return pay_each_once(
        users=earners.iterator(),
        total=earners.count(),
        asset=asset,
        amount=amount,
        key_prefix=f"monthly-active:{month:%Y-%m}",
        description=f"Active in {month:%B %Y}",
        progress=progress,
    )
