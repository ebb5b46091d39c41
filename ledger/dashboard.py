"""Figures for the back-office dashboard, read from the daily totals and user balances
(never from the entries), so it stays fast on millions of entries.

Flows (issued, spent, expired) are over the chosen range of days, the same range the
charts show; circulation and held are today's balances. Apps above the ledger add their
own queues (approvals, webhooks) to the "waiting" panel with `register_queue`.

A day's daily totals stop changing once the day is over (the engine dates a posting by
the clock when it posts), so what the dashboard sums over closed days is kept in the
shared cache: each load reads only the open days' rows, a few thousand, whatever the
range. A day counts as closed CLOSE_AFTER past its end, so postings that began before
midnight and committed after it are in.

The page (`get_dashboard(max_age=...)`) also keeps the figures it read as a whole for a
few seconds (DASHBOARD_FIGURES_SECONDS) and says when they were read: loads in quick
succession (several staff, a refresh) then cost a cache read. The queues and the last
reconciliation are read on every load, so an approval or a run shows at once.
"""

import heapq
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Sum
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

logger = logging.getLogger(__name__)

ISSUED = [T.TOPUP, T.BONUS, T.EARN]
SPENT = [T.SPEND, T.REDEEM, T.CAPTURE]
EXPIRED = [T.EXPIRE]
FLOWS = ("issued", "spent", "expired")
RANGES = (7, 30, 90)
DEFAULT_RANGE = 30
TOP_EARNERS = 10
CLOSE_AFTER = timedelta(minutes=10)
CACHE_VERSION = 1  # bump when what a cached day holds changes
CACHE_SECONDS = 100 * 24 * 3600  # longer than the longest range
EARNED_SECONDS = 2 * 24 * 3600  # a range's earnings per wallet: until the next day's range
TOP_ORDER = ("-earned", "account_id")
QUEUE_COUNT_LIMIT = 10_000  # a backlog is counted up to this, then shown as "10000+"


@dataclass(frozen=True)
class Queue:
    """Work waiting for someone: shown with its size and a link to the list holding it."""

    label: str
    size: int
    link: str
    oldest: datetime | None = None

    @property
    def shown_size(self) -> str:
        return f"{QUEUE_COUNT_LIMIT}+" if self.size > QUEUE_COUNT_LIMIT else str(self.size)


QueueSource = Callable[[], Queue]
_queues: list[QueueSource] = []


def register_queue(source: QueueSource) -> None:
    """Add a queue to the dashboard's "waiting" panel (e.g. pending approvals, the webhook
    backlog); call it from an app's `ready()`. The source must read an index, not scan."""
    if source not in _queues:
        _queues.append(source)


def first_day_of(days: int, today: date) -> date:
    return today - timedelta(days=days - 1)


def _cache_key(*parts: object) -> str:
    # One Redis may serve several databases (development, tests): keys name theirs.
    database = settings.DATABASES["default"]["NAME"]
    return ":".join(["dashboard", f"v{CACHE_VERSION}", str(database), *map(str, parts)])


def _cached_many(keys: list[str]) -> dict:
    try:
        return cache.get_many(keys)
    except Exception:  # the shared cache is a speed-up: without it, read the database
        logger.warning("dashboard: shared cache unreachable", exc_info=True)
        return {}


def _keep_many(values: dict, seconds: int = CACHE_SECONDS) -> None:
    try:
        cache.set_many(values, seconds)
    except Exception:
        logger.warning("dashboard: shared cache unreachable", exc_info=True)


def last_closed_day(now: datetime) -> date:
    return wallet_day(now - CLOSE_AFTER) - timedelta(days=1)


@dataclass(frozen=True)
class OpenDays:
    """What the daily totals of the days not yet closed sum to, read on every load."""

    flows: dict[tuple[int, date], dict[str, int]]  # per (asset id, day), as _read_flows
    net: dict[int, int]  # credited - debited per asset id


def read_open_days(*, now: datetime | None = None) -> OpenDays:
    """Flows and net of the open days (today; yesterday too until CLOSE_AFTER), in one
    grouped read of a day's rows through the (day, type) index."""
    rows = (
        DailyTotal.objects.filter(day__gt=last_closed_day(now or timezone.now()))
        .values("asset_id", "day")
        .annotate(**_flow_sums(), net=Sum("credited") - Sum("debited"))
    )
    flows: dict[tuple[int, date], dict[str, int]] = {}
    net: dict[int, int] = {}
    for row in rows:
        flows[(row["asset_id"], row["day"])] = _flow_figures(row)
        net[row["asset_id"]] = net.get(row["asset_id"], 0) + int(row["net"] or 0)
    return OpenDays(flows=flows, net=net)


def get_flows(
    *, first_day: date, now: datetime | None = None, open_days: OpenDays | None = None
) -> dict[tuple[int, date], dict]:
    """Issued, spent and expired per (asset id, day) from `first_day` on, in minor units:
    closed days from the cache (read once each), open ones from the daily totals."""
    now = now or timezone.now()
    closed_until = last_closed_day(now)
    closed = [
        first_day + timedelta(days=n) for n in range(max(0, (closed_until - first_day).days + 1))
    ]
    keys = {_cache_key("flows", day.isoformat()): day for day in closed}
    cached = _cached_many(list(keys))
    missing = [day for key, day in keys.items() if key not in cached]
    flows: dict[tuple[int, date], dict] = {}
    for key, per_asset in cached.items():
        for asset_id, figures in per_asset.items():
            flows[(asset_id, keys[key])] = figures
    if missing:
        read = _read_flows(Q(day__in=missing))
        by_day: dict[date, dict[int, dict]] = {day: {} for day in missing}
        for (asset_id, day), figures in read.items():
            by_day[day][asset_id] = figures
        _keep_many({_cache_key("flows", day.isoformat()): per for day, per in by_day.items()})
        flows.update(read)
    live = (open_days or read_open_days(now=now)).flows
    flows.update(
        {(asset_id, day): per for (asset_id, day), per in live.items() if day >= first_day}
    )
    return flows


def _flow_sums() -> dict[str, Sum]:
    return {
        "issued": Sum("credited", filter=Q(type__in=ISSUED)),
        "spent": Sum("debited", filter=Q(type__in=SPENT)),
        "expired": Sum("debited", filter=Q(type__in=EXPIRED)),
    }


def _flow_figures(row: Mapping[str, Any]) -> dict[str, int]:
    return {kind: int(row[kind] or 0) for kind in FLOWS}


def _read_flows(days: Q) -> dict[tuple[int, date], dict[str, int]]:
    """One grouped read of the daily totals of those days, through the (day, type) index."""
    rows = (
        DailyTotal.objects.filter(days, type__in=[*ISSUED, *SPENT, *EXPIRED])
        .values("asset_id", "day")
        .annotate(**_flow_sums())
    )
    return {(row["asset_id"], row["day"]): _flow_figures(row) for row in rows}


def get_balances(
    *, now: datetime | None = None, open_days: OpenDays | None = None
) -> dict[int, dict[str, int]]:
    """Per asset id, in minor units: what users hold (circulation) and how much of it is
    held by pending holds. Circulation is what the wallets' daily totals net to (their
    balances, as `reconcile` checks): the closed days' sum kept once read, plus the open
    days', so a load never scans every wallet."""
    now = now or timezone.now()
    net = _closed_net(last_closed_day(now))
    live = (open_days or read_open_days(now=now)).net
    held = dict(
        Hold.objects.filter(status=Hold.Status.PENDING)
        .values_list("account__asset_id")
        .annotate(total=Sum("amount"))
    )
    return {
        asset_id: {
            "circulation": net.get(asset_id, 0) + live.get(asset_id, 0),
            "held": int(held.get(asset_id) or 0),
        }
        for asset_id in {*net, *live, *held}
    }


def _closed_net(closed_until: date) -> dict[int, int]:
    """The net per asset id of every day up to `closed_until`, kept once read. When a day
    closes, the day before's is still kept: that plus the one day, not every row again."""
    key = _cache_key("net-until", closed_until.isoformat())
    before = _cache_key("net-until", (closed_until - timedelta(days=1)).isoformat())
    kept = _cached_many([key, before])
    if key in kept:
        return kept[key]
    if before in kept:
        day = _net(DailyTotal.objects.filter(day=closed_until))
        net = {asset_id: kept[before].get(asset_id, 0) + day.get(asset_id, 0)
               for asset_id in {*kept[before], *day}}  # fmt: skip
    else:
        net = _net(DailyTotal.objects.filter(day__lte=closed_until))
    _keep_many({key: net})
    return net


def _net(rows) -> dict[int, int]:
    summed = rows.values_list("asset_id").annotate(net=Sum("credited") - Sum("debited"))
    return {asset_id: int(total or 0) for asset_id, total in summed}


def _chart(asset: Asset, days: list[date], daily: list[dict]) -> dict:
    """`daily`: the asset's flows of each of `days`, in minor units."""
    unit = 10**asset.scale

    def series(kind: str) -> list[float]:
        # Chart.js draws numbers; the exact amounts are in the figures and the tooltip.
        # int / int is correctly rounded: the float nearest the amount, as from Decimal.
        return [figures.get(kind, 0) / unit for figures in daily]

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


def _top_earners(*, first_day: date, last_day: date, limit: int) -> list[tuple[int, int]]:
    """(account id, credited) of the wallets credited most (issued types) from `first_day`
    to `last_day`, from the daily totals. Today's are read live; a range of closed days
    is read once and kept, with what each wallet earned in it for a day or two: the next
    day's range is then that, plus the day that closed, minus the day that left it."""
    if last_day > last_closed_day(timezone.now()):
        return list(_earned(Q(day__gte=first_day, day__lte=last_day)).order_by(*TOP_ORDER)[:limit])
    key = _cache_key("top", first_day.isoformat(), last_day.isoformat(), limit)
    sums_key = _cache_key("earned", first_day.isoformat(), last_day.isoformat())
    day = timedelta(days=1)
    before_key = _cache_key("earned", (first_day - day).isoformat(), (last_day - day).isoformat())
    kept = _cached_many([key, before_key])
    if key in kept:
        return kept[key]
    if before_key in kept:
        sums: dict[int, int] = kept[before_key]
        for account_id, earned in _earned(Q(day=last_day)):
            sums[account_id] = sums.get(account_id, 0) + int(earned)
        for account_id, earned in _earned(Q(day=first_day - day)):
            sums[account_id] -= int(earned)
            if not sums[account_id]:
                del sums[account_id]
    else:
        earnings = _earned(Q(day__gte=first_day, day__lte=last_day))
        sums = {account_id: int(earned) for account_id, earned in earnings}
    top = heapq.nsmallest(limit, sums.items(), key=lambda pair: (-pair[1], pair[0]))
    _keep_many({key: top})
    _keep_many({sums_key: sums}, EARNED_SECONDS)
    return top


def _earned(days: Q):
    """(account id, credited) per wallet that earned anything (issued types) those days."""
    return (
        DailyTotal.objects.filter(days, type__in=ISSUED, credited__gt=0)
        .values_list("account_id")
        .annotate(earned=Sum("credited"))
    )


def _accounts(top: list[tuple[int, int]]) -> dict[int, Account]:
    ids = [account_id for account_id, _ in top]
    return Account.objects.select_related("user", "asset").in_bulk(ids)


def _earners(top: list[tuple[int, int]], accounts: dict[int, Account]) -> list[dict]:
    return [
        {
            "account": accounts[account_id],
            "earned": format_amount(int(earned), scale=accounts[account_id].asset.scale),
        }
        for account_id, earned in top
    ]


def count_up_to_limit(queryset) -> int:
    """The size of a backlog, counting no further than just past QUEUE_COUNT_LIMIT."""
    return queryset[: QUEUE_COUNT_LIMIT + 1].count()


def hold_queue() -> Queue:
    pending = Hold.objects.filter(status=Hold.Status.PENDING)
    oldest = pending.order_by("created_at").values_list("created_at", flat=True).first()
    return Queue(
        "Pending holds", count_up_to_limit(pending), "admin:ledger_hold_changelist", oldest
    )


def outbox_queue() -> Queue:
    # Through the partial index of unpublished events, oldest first.
    backlog = OutboxEvent.objects.filter(published_at__isnull=True)
    oldest = backlog.order_by("id").values_list("created_at", flat=True).first()
    return Queue(
        "Outbox events not yet published",
        count_up_to_limit(backlog),
        "admin:ledger_outboxevent_changelist",
        oldest,
    )


register_queue(hold_queue)
register_queue(outbox_queue)


def get_dashboard(*, days: int = DEFAULT_RANGE, max_age: int = 0) -> dict:
    """Everything the dashboard shows, for the last `days` days (one of RANGES). The
    economy's figures may be a snapshot up to `max_age` seconds old (0: read now); its
    `as_of` says when they were read."""
    if days not in RANGES:
        days = DEFAULT_RANGE
    figures = _kept_figures(days, max_age) if max_age > 0 else _read_figures(days)
    return {
        **figures,
        "max_age": max_age,
        "queues": [source() for source in _queues],
        "last_reconciliation": ReconciliationRun.objects.filter(finished_at__isnull=False).first(),
    }


def _kept_figures(days: int, max_age: int) -> dict:
    key = _cache_key("figures", days)
    kept = _cached_many([key]).get(key)
    # Checked against the clock, not left to the cache's expiry alone: figures read
    # before a clock moved back are never shown as fresh.
    if kept is not None and timedelta(0) <= timezone.now() - kept["as_of"] < timedelta(
        seconds=max_age
    ):
        return kept
    figures = _read_figures(days)
    _keep_many({key: figures}, max_age)
    return figures


def _read_figures(days: int) -> dict:
    now = timezone.now()
    today = wallet_day(now)
    first_day = first_day_of(days, today)
    calendar = [first_day + timedelta(days=offset) for offset in range(days)]
    open_days = read_open_days(now=now)  # one read of today's rows for flows and balances
    flows = get_flows(first_day=first_day, now=now, open_days=open_days)
    # Top earners over the closed days of the range (kept once read) and today's, live.
    closed_until = min(last_closed_day(now), today - timedelta(days=1))
    balances = get_balances(now=now, open_days=open_days)
    rows = []
    for asset in Asset.objects.order_by("code"):
        daily = [flows.get((asset.id, day), {}) for day in calendar]
        totals = {kind: sum(figures.get(kind, 0) for figures in daily) for kind in FLOWS}
        held = balances.get(asset.pk, {"circulation": 0, "held": 0})
        figures = {**held, **totals}
        rows.append(
            {
                "asset": asset,
                "figures": figures,
                **{
                    name: format_amount(value, scale=asset.scale) for name, value in figures.items()
                },
                "chart": _chart(asset, calendar, daily),
            }
        )
    top = _top_earners(first_day=first_day, last_day=closed_until, limit=TOP_EARNERS)
    top_today = _top_earners(first_day=today, last_day=today, limit=TOP_EARNERS)
    accounts = _accounts(top + top_today)  # one read for both lists
    start_of_today = datetime.combine(today, time(), tzinfo=ZoneInfo(settings.WALLET_TIME_ZONE))
    return {
        "as_of": now,
        "assets": rows,
        "today": today,
        "first_day": first_day,
        "range": days,
        "ranges": RANGES,
        "top_earners": _earners(top, accounts),
        "top_earners_until": closed_until,
        "top_earners_today": _earners(top_today, accounts),
        # an index range scan over today's transactions only
        "transactions_today": Transaction.objects.filter(created_at__gte=start_of_today).count(),
    }
