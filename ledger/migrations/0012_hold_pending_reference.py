"""Pending holds by reference: how an external transaction's failure or payment
(wallets.inbound) finds the holds placed for it. Small: only pending holds are in it."""

from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0011_ui_daily_total_day_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="hold",
            index=models.Index(
                fields=["reference"],
                condition=Q(status="PENDING"),
                name="ledger_hold_pending_reference",
            ),
        ),
    ]
