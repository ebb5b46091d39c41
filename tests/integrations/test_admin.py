"""The back office of webhooks: attempts visible, "send again", enable; support only reads."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.utils import timezone

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks.services import create_subscription
from tests.backoffice.conftest import back_office_user

DELIVERIES = "/admin/integrations/webhookdelivery/"
SUBSCRIPTIONS = "/admin/integrations/webhooksubscription/"


@pytest.fixture
def desk(assets) -> Client:
    client = Client()
    client.force_login(back_office_user("staff"))
    return client


@pytest.fixture
def failed_delivery(assets) -> WebhookDelivery:
    subscription = create_subscription(url="https://hooks.example.com/", event_types=["*"])
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_id="7f1c2a9e-0000-4000-8000-000000000001",
        event_type="wallet.created",
        payload={"id": "7f1c2a9e-0000-4000-8000-000000000001"},
        status=WebhookDelivery.Status.FAILED,
        attempts=10,
    )
    WebhookAttempt.objects.create(
        delivery=delivery, succeeded=False, response_status=502, error="HTTP 502: bad gateway",
        duration_ms=31,
    )  # fmt: skip
    return delivery


def test_delivery_page_shows_its_attempts(desk, failed_delivery):
    page = desk.get(f"{DELIVERIES}{failed_delivery.pk}/change/")
    assert page.status_code == 200
    assert b"HTTP 502: bad gateway" in page.content
    assert desk.get(DELIVERIES).status_code == 200
    assert desk.get("/admin/integrations/webhookattempt/").status_code == 200


def test_send_again_makes_it_due_with_fresh_attempts(desk, failed_delivery):
    before = timezone.now()
    response = desk.post(
        DELIVERIES, {"action": "send_again", "_selected_action": [failed_delivery.pk]}
    )
    assert response.status_code == 302
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "pending" and failed_delivery.attempts == 0
    assert failed_delivery.next_attempt_at >= before
    assert LogEntry.objects.filter(object_id=str(failed_delivery.pk)).exists()
    assert WebhookAttempt.objects.filter(delivery=failed_delivery).count() == 1  # log kept


def test_enable_resets_a_disabled_subscription(desk, failed_delivery):
    subscription = failed_delivery.subscription
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        is_active=False, consecutive_failures=20, disabled_at=timezone.now()
    )
    desk.post(SUBSCRIPTIONS, {"action": "enable", "_selected_action": [subscription.pk]})
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0
    assert subscription.disabled_at is None


def test_staff_add_a_subscription_in_the_admin(desk):
    response = desk.post(
        f"{SUBSCRIPTIONS}add/",
        {"url": "https://hooks.example.com/a", "event_types": "wallet.created, wallet.frozen",
         "secret": "whsec_0123456789abcdef", "description": "", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["wallet.created", "wallet.frozen"]
    refused = desk.post(
        f"{SUBSCRIPTIONS}add/",
        {"url": "ftp://x", "event_types": "wallet.nope", "secret": "short", "is_active": "on"},
    )
    assert refused.status_code == 200
    assert WebhookSubscription.objects.count() == 1


def test_support_reads_but_cannot_send_again(assets, failed_delivery):
    client = Client()
    client.force_login(back_office_user("support"))
    assert client.get(f"{DELIVERIES}{failed_delivery.pk}/change/").status_code == 200
    client.post(DELIVERIES, {"action": "send_again", "_selected_action": [failed_delivery.pk]})
    failed_delivery.refresh_from_db()
    assert failed_delivery.status == "failed"


def test_the_dashboard_counts_waiting_webhook_deliveries_and_approvals(desk, failed_delivery):
    from ledger.dashboard import get_dashboard

    def waiting(label: str) -> int:
        return next(q.size for q in get_dashboard()["queues"] if q.label == label)

    deliveries = "Webhook deliveries waiting"
    before = waiting(deliveries)
    WebhookDelivery.objects.create(
        subscription=failed_delivery.subscription,
        event_id="7f1c2a9e-0000-4000-8000-000000000002",
        event_type="wallet.created",
        payload={"id": "7f1c2a9e-0000-4000-8000-000000000002"},
    )

    assert (before, waiting(deliveries)) == (0, 1)  # the failed one is not waiting
    assert waiting("Approvals waiting for a second staff member") == 0
    page = desk.get("/admin/").content.decode()
    assert deliveries in page and "Approvals waiting for a second staff member" in page
