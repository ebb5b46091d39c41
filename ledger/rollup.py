"""Daily totals per user account and transaction type, kept by the posting engine."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ledger.models import DailyTotal, Entry, Transaction

UPSERT = """
INSERT INTO {table} (account_id, asset_id, day, type, credited, debited, entries)
VALUES {rows}
ON CONFLICT (account_id, day, type) DO UPDATE SET
    credited = {table}.credited + EXCLUDED.credited,
    debited = {table}.debited + EXCLUDED.debited,
    entries = {table}.entries + EXCLUDED.entries
"""


def wallet_day(moment):
    """The calendar day a moment falls on where daily limits and leaderboards are counted."""
    return timezone.localtime(moment, ZoneInfo(settings.WALLET_TIME_ZONE)).date()


def add_daily_totals(posted: Transaction, user_entries: list[Entry]) -> None:
    """One upsert for all of a posting's user entries (their accounts are locked already)."""
    if not user_entries:
        return
    day = wallet_day(posted.created_at)
    params: list = []
    for entry in user_entries:
        params += [
            entry.account_id,
            entry.asset_id,
            day,
            posted.type,
            max(entry.amount, 0),
            max(-entry.amount, 0),
            1,
        ]
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(user_entries))
    with connection.cursor() as cursor:
        cursor.execute(UPSERT.format(table=DailyTotal._meta.db_table, rows=rows), params)
