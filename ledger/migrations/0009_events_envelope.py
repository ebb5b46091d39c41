# The envelope's id, version and the ordering partition for outbox rows (README "Events out").

import uuid

from django.db import migrations, models


def give_ids(apps, schema_editor):
    """Rows written before: each its own id (a callable default gives them all one)."""
    OutboxEvent = apps.get_model("ledger", "OutboxEvent")
    for pk in OutboxEvent.objects.filter(event_id__isnull=True).values_list("pk", flat=True):
        OutboxEvent.objects.filter(pk=pk).update(event_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_entry_account_transaction_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxevent",
            name="event_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(give_ids, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="outboxevent",
            name="event_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.AddField(
            model_name="outboxevent",
            name="version",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="outboxevent",
            name="partition",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="outboxevent",
            index=models.Index(
                condition=models.Q(("published_at__isnull", True)),
                fields=["partition", "id"],
                name="ledger_outbox_partition_queue",
            ),
        ),
    ]
