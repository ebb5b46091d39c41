"""Calendar periods in WALLET_TIME_ZONE: what "today", "this week", "this month" mean."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def wallet_today(now: datetime | None = None) -> date:
    return timezone.localtime(now or timezone.now(), ZoneInfo(settings.WALLET_TIME_ZONE)).date()


def period_start_day(period: str, now: datetime | None = None) -> date:
    """The first day of the DAY, WEEK (ISO, from Monday) or MONTH containing now."""
    today = wallet_today(now)
    if period == "DAY":
        return today
    if period == "WEEK":
        return today - timedelta(days=today.weekday())
    if period == "MONTH":
        return today.replace(day=1)
    raise ValueError(f"unknown period {period!r}")


def period_start(period: str, now: datetime | None = None) -> datetime:
    """The moment the period containing now began."""
    zone = ZoneInfo(settings.WALLET_TIME_ZONE)
    return datetime.combine(period_start_day(period, now), time(), tzinfo=zone)


def period_key(period: str, now: datetime | None = None) -> str:
    """A label naming the period: 2026-11-21, 2026-W47 or 2026-11."""
    start = period_start_day(period, now)
    if period == "DAY":
        return start.isoformat()
    if period == "WEEK":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{start:%Y-%m}"
