"""Figures for the back-office dashboard, read from the daily totals and user balances
(never from the entries), so it stays fast on millions of entries.

Flows (issued, spent, expired) are over the chosen range of days, the same range the
charts show; circulation and held are today's balances. Apps above the ledger add their
own queues (approvals, webhooks) to the "waiting" panel with `register_queue`.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from core.amounts import format_amount
from ledger.models import (
    Account,
    Asset,
    DailyTotal,
    Hold,
    OutboxEvent,
    ReconciliationRun,
    Transaction,
)
from ledger.models import TransactionType as T
from ledger.rollup import wallet_day

ISSUED = [T.TOPUP, T.BONUS, T.EARN]
SPENT = [T.SPEND, T.REDEEM, T.CAPTURE]
EXPIRED = [T.EXPIRE]
RANGES = (7, 30, 90)
DEFAULT_RANGE = 30
TOP_EARNERS = 10


@dataclass(frozen=True)
class Queue:
    """Work waiting for someone: shown with its size and a link to the list holding it."""

    label: str
    size: int
    link: str
    oldest: datetime | None = None


QueueSource = Callable[[], Queue]
_queues: list[QueueSource] = []


def register_queue(source: QueueSource) -> None:
    """Add a queue to the dashboard's "waiting" panel (e.g. pending approvals, the webhook
    backlog); call it from an app's `ready()`. The source must read an index, not scan."""
    if source not in _queues:
        _queues.append(source)


def first_day_of(days: int, today: date) -> date:
    return today - timedelta(days=days - 1)


def get_flows(*, first_day: date) -> dict[tuple[int, date], dict[str, int]]:
    """Issued, spent and expired per (asset id, day) from `first_day` on, in minor units:
    one grouped read of the daily totals through their (asset, type, day) index."""
    rows = (
        DailyTotal.objects.filter(day__gte=first_day, type__in=[*ISSUED, *SPENT, *EXPIRED])
        .values("asset_id", "day")
        .annotate(
            issued=Sum("credited", filter=Q(type__in=ISSUED)),
            spent=Sum("debited", filter=Q(type__in=SPENT)),
            expired=Sum("debited", filter=Q(type__in=EXPIRED)),
        )
    )
    return {
        (row["asset_id"], row["day"]): {
            kind: int(row[kind] or 0) for kind in ("issued", "spent", "expired")
        }
        for row in rows
    }


def get_balances() -> dict[int, dict[str, int]]:
    """Per asset id: what users hold (circulation) and how much of it is held, in minor
    units, from the wallets' balance columns."""
    rows = (
        Account.objects.filter(user__isnull=False)
        .values("asset_id")
        .annotate(circulation=Sum("balance"), held=Sum("held"))
    )
    return {
        row["asset_id"]: {"circulation": int(row["circulation"] or 0), "held": int(row["held"])}
        for row in rows
    }


def _chart(asset: Asset, days: list[date], flows: dict) -> dict:
    def series(kind: str) -> list[float]:
        # Chart.js draws numbers; the exact amounts are in the figures and the tooltip.
        return [
            float(Decimal(flows.get((asset.pk, day), {}).get(kind, 0)).scaleb(-asset.scale))
            for day in days
        ]

    return {
        "labels": [day.isoformat() for day in days],
        "datasets": [
            {
                "label": "issued",
                "data": series("issued"),
                "borderColor": "var(--color-primary-600)",
                "backgroundColor": "var(--color-primary-600)",
                "displayYAxis": True,
                "maxTicksXLimit": 8,
            },
            {
                "label": "spent",
                "data": series("spent"),
                "borderColor": "#f59e0b",
                "backgroundColor": "#f59e0b",
            },
            {
                "label": "expired",
                "data": series("expired"),
                "borderColor": "#ef4444",
                "backgroundColor": "#ef4444",
            },
        ],
    }


def get_top_earners(*, first_day: date, limit: int = TOP_EARNERS) -> list[dict]:
    """The wallets credited most (issued types) since `first_day`, from the daily totals."""
    top = list(
        DailyTotal.objects.filter(day__gte=first_day, type__in=ISSUED)
        .values("account_id", "asset_id")
        .annotate(earned=Sum("credited"))
        .order_by("-earned", "account_id")[:limit]
    )
    accounts = Account.objects.select_related("user", "asset").in_bulk(
        [row["account_id"] for row in top]
    )
    return [
        {
            "account": accounts[row["account_id"]],
            "earned": format_amount(
                int(row["earned"]), scale=accounts[row["account_id"]].asset.scale
            ),
        }
        for row in top
    ]


def hold_queue() -> Queue:
    pending = Hold.objects.filter(status=Hold.Status.PENDING).aggregate(
        size=Count("id"), oldest=Min("created_at")
    )
    return Queue(
        "Pending holds", pending["size"], "admin:ledger_hold_changelist", pending["oldest"]
    )


def outbox_queue() -> Queue:
    backlog = OutboxEvent.objects.filter(published_at__isnull=True).aggregate(
        size=Count("id"), oldest=Min("created_at")
    )
    return Queue(
        "Outbox events not yet published",
        backlog["size"],
        "admin:ledger_outboxevent_changelist",
        backlog["oldest"],
    )


register_queue(hold_queue)
register_queue(outbox_queue)


def get_dashboard(*, days: int = DEFAULT_RANGE) -> dict:
    """Everything the dashboard shows, for the last `days` days (one of RANGES)."""
    if days not in RANGES:
        days = DEFAULT_RANGE
    today = wallet_day(timezone.now())
    first_day = first_day_of(days, today)
    calendar = [first_day + timedelta(days=offset) for offset in range(days)]
    flows = get_flows(first_day=first_day)
    balances = get_balances()
    rows = []
    for asset in Asset.objects.order_by("code"):
        totals = {
            kind: sum(flows.get((asset.pk, day), {}).get(kind, 0) for day in calendar)
            for kind in ("issued", "spent", "expired")
        }
        held = balances.get(asset.pk, {"circulation": 0, "held": 0})
        figures = {**held, **totals}
        rows.append(
            {
                "asset": asset,
                "figures": figures,
                **{
                    name: format_amount(value, scale=asset.scale) for name, value in figures.items()
                },
                "chart": _chart(asset, calendar, flows),
            }
        )
    start_of_today = datetime.combine(today, time(), tzinfo=ZoneInfo(settings.WALLET_TIME_ZONE))
    return {
        "assets": rows,
        "today": today,
        "first_day": first_day,
        "range": days,
        "ranges": RANGES,
        "top_earners": get_top_earners(first_day=first_day),
        "queues": [source() for source in _queues],
        # an index range scan over today's transactions only
        "transactions_today": Transaction.objects.filter(created_at__gte=start_of_today).count(),
        "last_reconciliation": ReconciliationRun.objects.filter(finished_at__isnull=False).first(),
    }
