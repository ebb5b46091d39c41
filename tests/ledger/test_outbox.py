import jsonschema
import pytest
from django.db import transaction

from ledger.events.catalogue import UnknownEventType
from ledger.models import OutboxEvent
from ledger.outbox import add_event, partition_for

pytestmark = pytest.mark.django_db(transaction=True)

CREATED = {"account_id": 1, "user_id": 42, "asset": "GOLD"}


def test_an_event_is_added_in_the_transaction_of_its_change():
    with transaction.atomic():
        event = add_event(topic="wallet.created", payload=CREATED, key=42)
        transaction.set_rollback(True)  # the change it reports did not happen

    assert event.pk is not None
    assert not OutboxEvent.objects.exists()


def test_an_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        add_event(topic="wallet.created", payload=CREATED, key=42)

    assert not OutboxEvent.objects.exists()


def test_an_event_gets_its_id_version_and_its_users_partition(settings):
    settings.OUTBOX_PARTITIONS = 8
    with transaction.atomic():
        first = add_event(topic="wallet.created", payload=CREATED, key=42)
        second = add_event(topic="wallet.created", payload=CREATED, key=42)

    assert first.event_id != second.event_id
    assert (first.version, first.partition) == (1, 42 % 8)
    assert partition_for(None) == 0


def test_an_event_outside_the_catalogue_is_refused():
    with pytest.raises(UnknownEventType), transaction.atomic():
        add_event(topic="wallet.test", payload={}, key=None)

    assert not OutboxEvent.objects.exists()


def test_an_event_that_does_not_match_its_schema_is_refused_in_tests():
    with pytest.raises(jsonschema.ValidationError), transaction.atomic():
        add_event(topic="wallet.created", payload={**CREATED, "asset": 7}, key=42)

    assert not OutboxEvent.objects.exists()
