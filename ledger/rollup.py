"""Daily totals per user account and transaction type, kept by the posting engine."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from ledger.inserts import NewEntry

ON_CONFLICT = """
ON CONFLICT (account_id, day, type) DO UPDATE SET
    credited = ledger_dailytotal.credited + EXCLUDED.credited,
    debited = ledger_dailytotal.debited + EXCLUDED.debited,
    entries = ledger_dailytotal.entries + EXCLUDED.entries
"""
INSERT = (
    "INSERT INTO ledger_dailytotal (account_id, asset_id, day, type, credited, debited, entries)"
)
# PostgreSQL: one statement of arrays whatever the number of rows.
UPSERT = (
    INSERT
    + """
SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::date[], %s::varchar[], %s::bigint[],
                     %s::bigint[], %s::integer[])"""
    + ON_CONFLICT
)
# SQLite has no arrays: one VALUES row per total.
UPSERT_VALUES = INSERT + " VALUES {rows}" + ON_CONFLICT


def wallet_day(moment):
    """The calendar day a moment falls on where daily limits and leaderboards are counted."""
    return timezone.localtime(moment, ZoneInfo(settings.WALLET_TIME_ZONE)).date()


def add_daily_totals(user_entries: list[NewEntry]) -> None:
    """One upsert for the user entries of a posting or a batch (their accounts are locked)."""
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
    if not totals:
        return
    rows = [(*key, *total) for key, total in totals.items()]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(UPSERT, [list(column) for column in zip(*rows, strict=True)])
        else:
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(rows))
            cursor.execute(UPSERT_VALUES.format(rows=values), [v for row in rows for v in row])
