"""Figures for the back-office dashboard, read from the daily totals and user balances
(never from the entries), so it stays fast on millions of entries."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from core.amounts import format_amount
from ledger.models import Account, Asset, DailyTotal, ReconciliationRun, Transaction
from ledger.models import TransactionType as T
from ledger.rollup import wallet_day

ISSUED = [T.TOPUP, T.BONUS, T.EARN]
SPENT = [T.SPEND, T.REDEEM, T.CAPTURE]
CHART_DAYS = 30


def get_dashboard() -> dict:
    today = wallet_day(timezone.now())
    first_day = today - timedelta(days=CHART_DAYS - 1)
    assets = list(Asset.objects.order_by("code"))
    circulation = dict(
        Account.objects.filter(user__isnull=False)
        .values("asset_id")
        .annotate(total=Sum("balance"))
        .values_list("asset_id", "total")
    )
    flows = {
        row["asset_id"]: row
        for row in DailyTotal.objects.values("asset_id").annotate(
            issued=Sum("credited", filter=Q(type__in=ISSUED)),
            spent=Sum("debited", filter=Q(type__in=SPENT)),
            expired=Sum("debited", filter=Q(type=T.EXPIRE)),
            today=Sum("credited", filter=Q(day=today)),
        )
    }
    daily = {
        (row["asset_id"], row["day"]): row["volume"]
        for row in DailyTotal.objects.filter(day__gte=first_day)
        .values("asset_id", "day")
        .annotate(volume=Sum("credited"))
    }
    days = [first_day + timedelta(days=offset) for offset in range(CHART_DAYS)]
    rows = []
    for asset in assets:
        flow: dict[str, int] = flows.get(asset.pk, {})
        series = [daily.get((asset.pk, day), 0) for day in days]
        peak = max(series) or 1
        rows.append(
            {
                "asset": asset,
                "circulation": format_amount(circulation.get(asset.pk) or 0, scale=asset.scale),
                "issued": format_amount(flow.get("issued") or 0, scale=asset.scale),
                "spent": format_amount(flow.get("spent") or 0, scale=asset.scale),
                "expired": format_amount(flow.get("expired") or 0, scale=asset.scale),
                "today": format_amount(flow.get("today") or 0, scale=asset.scale),
                "bars": [
                    {
                        "day": day,
                        "volume": format_amount(volume, scale=asset.scale),
                        "height": round(60 * volume / peak),
                        "x": index * 10,
                        "y": 62 - round(60 * volume / peak),
                    }
                    for index, (day, volume) in enumerate(zip(days, series, strict=True))
                ],
            }
        )
    start_of_today = datetime.combine(today, time(), tzinfo=ZoneInfo(settings.WALLET_TIME_ZONE))
    return {
        "assets": rows,
        "today": today,
        # an index range scan over today's transactions only
        "transactions_today": Transaction.objects.filter(created_at__gte=start_of_today).count(),
        "last_reconciliation": ReconciliationRun.objects.filter(finished_at__isnull=False).first(),
        "chart_days": CHART_DAYS,
    }
