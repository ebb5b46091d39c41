"""Fill ledger_dailytotal from the entries posted before the engine kept it."""

from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations
from django.utils import timezone


def backfill(apps, schema_editor):
    Entry = apps.get_model("ledger", "Entry")
    DailyTotal = apps.get_model("ledger", "DailyTotal")
    if DailyTotal.objects.exists():
        return
    zone = ZoneInfo(settings.WALLET_TIME_ZONE)
    totals = defaultdict(lambda: [0, 0, 0])
    rows = Entry.objects.filter(account__user__isnull=False).values_list(
        "account_id", "asset_id", "created_at", "transaction__type", "amount"
    )
    for account_id, asset_id, created_at, kind, amount in rows.iterator(chunk_size=10_000):
        day = timezone.localtime(created_at, zone).date()
        total = totals[account_id, asset_id, day, kind]
        total[0 if amount > 0 else 1] += abs(amount)
        total[2] += 1
    DailyTotal.objects.bulk_create(
        [
            DailyTotal(account_id=account_id, asset_id=asset_id, day=day, type=kind,
                       credited=credited, debited=debited, entries=count)
            for (account_id, asset_id, day, kind), (credited, debited, count) in totals.items()
        ],
        batch_size=5_000,
    )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0004_daily_totals")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
