"""Daily totals per user account and transaction type, kept by the posting engine."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from ledger.inserts import DailyTotal, NewEntry


def wallet_day(moment):
    """The calendar day a moment falls on where daily limits and leaderboards are counted."""
    return timezone.localtime(moment, ZoneInfo(settings.WALLET_TIME_ZONE)).date()


def daily_total_rows(user_entries: list[NewEntry]) -> list[DailyTotal]:
    """What a posting or a batch adds to its user accounts' daily totals (one row per
    account, day and type; the accounts are locked)."""
    days: dict[datetime, date] = {}  # a batch shares one timestamp: convert it once
    totals: dict[tuple, list[int]] = {}
    for entry in user_entries:
        txn = entry.transaction
        if txn.created_at not in days:
            days[txn.created_at] = wallet_day(txn.created_at)
        key = (entry.account_id, entry.asset_id, days[txn.created_at], txn.type)
        total = totals.setdefault(key, [0, 0, 0])
        total[0] += max(entry.amount, 0)
        total[1] += max(-entry.amount, 0)
        total[2] += 1
    return [(*key, *total) for key, total in totals.items()]
