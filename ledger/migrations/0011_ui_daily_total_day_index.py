"""The dashboard reads the daily totals of a day or a range of days across every account
(flows per asset, top earners): an index led by the day, covering what those reads sum."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0010_pay_refund_payout"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dailytotal",
            index=models.Index(
                fields=["day", "type"],
                include=["asset", "account", "credited", "debited"],
                name="ledger_daily_day_type",
            ),
        ),
    ]
