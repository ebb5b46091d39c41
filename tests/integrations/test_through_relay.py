"""End to end through the real relay (ledger.relay, with OUTBOX_DISPATCHERS as configured):
a REST posting becomes a notification, a signed webhook and a socket message."""

import json

import pytest
from django.conf import settings

from integrations.dispatch import dispatch
from integrations.models import Notification, WebhookDelivery
from integrations.webhooks import delivery as worker
from integrations.webhooks.services import create_subscription
from integrations.webhooks.signing import verify
from ledger.models import OutboxEvent
from ledger.relay import relay_batch
from tests.api import API
from tests.integrations.receiver import receiver

SECRET = "whsec_through-the-relay-0000"


def relay_all() -> int:
    relayed = 0
    while count := relay_batch(publish=None):
        relayed += count
    return relayed


def test_the_dispatcher_is_configured():
    assert "integrations.dispatch.dispatch" in settings.OUTBOX_DISPATCHERS


def test_rest_spend_through_the_relay_notifies_and_delivers_a_signed_webhook(alice, as_alice):
    with receiver() as hook:
        # given: a subscription, and the signup's events already relayed
        create_subscription(url=hook.url, event_types=["wallet.transaction.posted"], secret=SECRET)
        relay_all()
        Notification.objects.all().delete()
        WebhookDelivery.objects.all().delete()

        # when: alice spends over REST and the relay runs
        response = as_alice.post(
            f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "12"}, format="json"
        )
        assert response.status_code == 201
        assert relay_all() == 1
        worker.deliver_due()

    # then: one notification, in her language
    notifications = as_alice.get(f"{API}notifications", HTTP_ACCEPT_LANGUAGE="de").json()
    assert notifications["unread"] == 1
    assert notifications["results"][0]["message"] == "Zahlung über 12 GOLD ausgeführt."
    # and the webhook carried the relay's envelope, signed
    (request,) = hook.requests
    verify(secret=SECRET, header=request.headers["Webhook-Signature"], body=request.body)
    event = json.loads(request.body)
    published = OutboxEvent.objects.get(published_at__isnull=False, topic=event["type"],
                                        event_id=event["id"])  # fmt: skip
    assert event["data"]["transaction_id"] == response.json()["id"]
    assert published.payload == event["data"]


def test_a_relay_batch_that_rolls_back_leaves_nothing(alice, as_alice, monkeypatch):
    relay_all()
    Notification.objects.all().delete()
    as_alice.post(f"{API}wallets/me/spend", {"asset": "GOLD", "amount": "1"}, format="json")

    def failing_dispatcher(envelopes: object) -> None:
        raise ConnectionError("a later dispatcher failed")

    # when: the batch fails after integrations dispatched it
    with pytest.raises(ConnectionError):
        relay_batch(publish=None, dispatch=[dispatch, failing_dispatcher])

    assert not Notification.objects.exists()
    assert relay_all() == 1
    assert Notification.objects.count() == 1
