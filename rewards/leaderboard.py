"""Who earned most in a period: EARN and BONUS credits from the daily totals, cached."""

from django.core.cache import cache
from django.db.models import Sum

from core.amounts import format_amount
from ledger.models import Asset, DailyTotal, TransactionType
from rewards.periods import period_start_day

PERIODS = {"daily": "DAY", "weekly": "WEEK", "monthly": "MONTH", "all": None}
CACHE_SECONDS = 60


def get_leaderboard(*, asset: Asset, period: str, limit: int) -> list[dict]:
    """Ranks 1..limit by earned amount, ties broken by user id (the earlier user first)."""
    unit = PERIODS[period]
    start = period_start_day(unit) if unit else None
    key = f"leaderboard:{asset.pk}:{period}:{start}:{limit}"
    board = cache.get(key)
    if board is None:
        totals = DailyTotal.objects.filter(
            asset=asset, type__in=[TransactionType.EARN, TransactionType.BONUS]
        )
        if start:
            totals = totals.filter(day__gte=start)
        rows = (
            totals.values("account__user_id", "account__user__name")
            .annotate(earned=Sum("credited"))
            .filter(earned__gt=0)
            .order_by("-earned", "account__user_id")[:limit]
        )
        board = [
            {
                "rank": rank,
                "user": row["account__user_id"],
                "name": row["account__user__name"],
                "earned": format_amount(row["earned"], scale=asset.scale),
            }
            for rank, row in enumerate(rows, start=1)
        ]
        cache.set(key, board, CACHE_SECONDS)
    return board
