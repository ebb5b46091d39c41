import pytest
from django.db import transaction

from ledger.models import OutboxEvent
from ledger.outbox import add_event

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_event_is_added_in_the_transaction_of_its_change():
    with transaction.atomic():
        event = add_event(topic="wallet.test", payload={"n": 1})
        transaction.set_rollback(True)  # the change it reports did not happen

    assert event.pk is not None
    assert not OutboxEvent.objects.exists()


def test_an_event_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        add_event(topic="wallet.test", payload={})

    assert not OutboxEvent.objects.exists()
