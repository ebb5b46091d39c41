"""Webhook subscriptions, signed delivery to a real receiver, retries, disabling, send again."""

import json
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from integrations.dispatch import dispatch
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks import delivery as worker
from integrations.webhooks.services import create_subscription, send_again
from integrations.webhooks.signing import SignatureError, sign, verify
from tests.api import API, client_for, error_code
from tests.integrations.envelopes import posted
from tests.integrations.receiver import receiver

SECRET = "whsec_test-secret-0123456789"


@pytest.fixture
def quick_retries(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0.05
    settings.WEBHOOK_RETRY_MAX_SECONDS = 0.2
    settings.WEBHOOK_TIMEOUT_SECONDS = 5


def relay(*events: dict) -> None:
    with transaction.atomic():
        dispatch(list(events))


def deliver_until(done, *, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "deliveries did not finish in time"
        worker.deliver_due()
        time.sleep(0.02)


# -- signatures


def test_signature_verifies_and_binds_the_body():
    body = b'{"id":"1"}'
    header = sign(secret=SECRET, body=body, timestamp=int(time.time()))

    assert verify(secret=SECRET, header=header, body=body) > 0
    with pytest.raises(SignatureError):
        verify(secret=SECRET, header=header, body=b'{"id":"2"}')
    with pytest.raises(SignatureError):
        verify(secret="whsec_another-secret-000000", header=header, body=body)
    with pytest.raises(SignatureError):
        verify(secret=SECRET, header="v1=abc", body=body)


def test_signature_outside_the_replay_window_is_refused():
    body = b"{}"
    old = int(time.time()) - 301
    header = sign(secret=SECRET, body=body, timestamp=old)

    with pytest.raises(SignatureError, match="tolerance"):
        verify(secret=SECRET, header=header, body=body)
    # Within a wider window the same request passes: only its age refuses it.
    assert verify(secret=SECRET, header=header, body=body, tolerance=600) == old


def test_signature_format_is_t_and_v1_hex():
    header = sign(secret="s" * 16, body=b"x", timestamp=1700000000)
    # HMAC-SHA256("ssssssssssssssss", "1700000000.x")
    import hashlib
    import hmac

    expected = hmac.new(b"s" * 16, b"1700000000.x", hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


# -- delivery


def test_delivery_is_signed_and_verifies_at_the_receiver(alice, quick_retries):
    with receiver() as hook:
        subscription = create_subscription(
            url=hook.url, event_types=["wallet.transaction.posted"], secret=SECRET
        )
        event = posted("SPEND", (alice.pk, "GOLD", "-12", "88"))
        relay(event)

        deliver_until(lambda: len(hook.requests) == 1)

    request = hook.requests[0]
    verify(secret=SECRET, header=request.headers["Webhook-Signature"], body=request.body)
    assert json.loads(request.body) == event
    assert request.headers["Webhook-Id"] == event["id"]
    assert request.headers["Content-Type"] == "application/json"
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == "succeeded"
    (attempt,) = WebhookAttempt.objects.filter(delivery=delivery)
    assert attempt.succeeded and attempt.response_status == 200 and attempt.error == ""


def test_receiver_failing_three_times_gets_the_event_on_the_fourth_try(alice, quick_retries):
    with receiver(statuses=[500, 503, 502]) as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))

        deliver_until(lambda: WebhookDelivery.objects.get().status == "succeeded")

    assert len(hook.requests) == 4
    # the same event, the same id, each time signed afresh
    assert len({request.body for request in hook.requests}) == 1
    assert len({request.headers["Webhook-Id"] for request in hook.requests}) == 1
    attempts = list(WebhookAttempt.objects.order_by("id"))
    assert [(a.succeeded, a.response_status) for a in attempts] == [
        (False, 500), (False, 503), (False, 502), (True, 200),
    ]  # fmt: skip
    assert "receiver says no" in attempts[0].error
    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 4
    assert delivery.subscription.consecutive_failures == 0


def test_retries_wait_with_exponential_backoff_and_jitter(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.WEBHOOK_RETRY_MAX_SECONDS = 300
    waits = {attempts: [worker.backoff(attempts) for _ in range(200)] for attempts in (1, 2, 3, 9)}

    assert all(5 <= wait <= 10 for wait in waits[1])
    assert all(10 <= wait <= 20 for wait in waits[2])
    assert all(20 <= wait <= 40 for wait in waits[3])
    assert all(150 <= wait <= 300 for wait in waits[9])  # capped
    assert len(set(waits[3])) > 100  # jittered


def test_failed_attempt_is_not_due_before_its_backoff(alice, settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    with receiver(statuses=[500]) as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))
        before = timezone.now()
        assert worker.deliver_due() == 1
        assert worker.deliver_due() == 0  # not due yet

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert before + timedelta(seconds=29) < delivery.next_attempt_at
    assert delivery.next_attempt_at < before + timedelta(seconds=61)


def test_delivery_gives_up_after_max_attempts(alice, quick_retries, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    with receiver(statuses=[500] * 5) as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))
        deliver_until(lambda: WebhookDelivery.objects.get().status == "failed")
    assert len(hook.requests) == 2


def test_subscription_disabled_after_a_run_of_failures_and_reenabled(
    alice, quick_retries, settings
):
    # given: a receiver that is down, and a threshold of 3 failed attempts in a row
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    with receiver(statuses=[500] * 3) as hook:
        subscription = create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))

        # when
        deliver_until(lambda: not WebhookSubscription.objects.get().is_active)
        time.sleep(0.3)
        worker.deliver_due()

        # then: no more attempts while disabled, and no new deliveries for it
        assert len(hook.requests) == 3
        relay(posted("EARN", (alice.pk, "SILVER", "1", "11")))
        assert WebhookDelivery.objects.count() == 1
        subscription.refresh_from_db()
        assert subscription.disabled_at is not None

        # when: staff re-enable it over the API
        staff = _staff()
        response = client_for(staff).patch(
            f"{API}webhooks/subscriptions/{subscription.pk}", {"is_active": True}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["consecutive_failures"] == 0

        # then: the pending delivery goes out
        deliver_until(lambda: WebhookDelivery.objects.get().status == "succeeded")
    assert len(hook.requests) == 4


def test_send_again_delivers_a_succeeded_event_once_more(alice, quick_retries):
    with receiver() as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))
        deliver_until(lambda: len(hook.requests) == 1)

        send_again(WebhookDelivery.objects.all())
        deliver_until(lambda: len(hook.requests) == 2)

    assert hook.requests[0].body == hook.requests[1].body
    assert WebhookAttempt.objects.count() == 2


def test_unreachable_receiver_is_logged_with_the_error(alice, quick_retries):
    create_subscription(url="http://127.0.0.1:9/closed", event_types=["*"], secret=SECRET)
    relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))

    worker.deliver_due()

    attempt = WebhookAttempt.objects.get()
    assert not attempt.succeeded and attempt.response_status is None
    assert "refused" in attempt.error.lower() or "URLError" in attempt.error


def test_redirects_are_not_followed(alice, quick_retries):
    with receiver(statuses=[302]) as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))
        worker.deliver_due()
    attempt = WebhookAttempt.objects.get()
    assert not attempt.succeeded and attempt.response_status == 302


def test_private_addresses_are_blocked_unless_allowed(alice, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    with receiver() as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))
        worker.deliver_due()

    assert hook.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.error.startswith("blocked:") and "127.0.0.1" in attempt.error


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_workers_claim_disjoint_deliveries(alice):
    """Two workers claiming at once never take the same row (SKIP LOCKED)."""
    from tests.threads import run_in_threads

    subscription = create_subscription(url="http://127.0.0.1:9/x", event_types=["*"])
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            event_id=f"00000000-0000-0000-0000-{n:012}",
            event_type="wallet.created",
            payload={},
        )  # fmt: skip
        for n in range(40)
    )

    claims = run_in_threads(4, lambda _: worker.claim_due(limit=15))

    claimed = [delivery_id for claim in claims for delivery_id in claim]  # type: ignore[attr-defined]
    assert len(claimed) == len(set(claimed)) == 40


def test_command_runs_one_pass(alice, quick_retries):
    with receiver() as hook:
        create_subscription(url=hook.url, event_types=["*"], secret=SECRET)
        relay(posted("EARN", (alice.pk, "SILVER", "10", "10")))
        call_command("deliver_webhooks")
    assert len(hook.requests) == 1


# -- subscriptions API


def _staff():
    from tests.factories import create_role_user

    user = create_role_user("staff")
    user.is_staff = True
    user.save()
    return user


def test_service_account_subscribes_and_sees_the_secret_once(service):
    client = client_for(service)
    response = client.post(
        f"{API}webhooks/subscriptions",
        {"url": "https://hooks.example.com/wallet", "event_types": ["wallet.created"]},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    listed = client.get(f"{API}webhooks/subscriptions/").json()
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0] and listed[0]["secret_hint"] == "…" + body["secret"][-4:]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"url": "ftp://hooks.example.com/x", "event_types": ["*"]}, "url"),
        ({"url": "file:///etc/passwd", "event_types": ["*"]}, "url"),
        ({"url": "https://user:pw@hooks.example.com/", "event_types": ["*"]}, "url"),
        ({"url": "https://hooks.example.com/", "event_types": ["wallet.nope"]}, "event_types"),
        ({"url": "https://hooks.example.com/", "event_types": []}, "event_types"),
        ({"url": "https://hooks.example.com/", "event_types": [None, 7]}, "event_types"),
        ({"url": "https://hooks.example.com/", "event_types": [["*"]]}, "event_types"),
        ({"url": "https://hooks.example.com/", "event_types": ["*"], "secret": "short"}, "secret"),
    ],
)
def test_invalid_subscriptions_are_400(service, payload, field):
    response = client_for(service).post(f"{API}webhooks/subscriptions", payload, format="json")
    assert response.status_code == 400
    assert error_code(response) == "validation_error"
    assert field in response.json()["error"]["details"]


def test_customers_cannot_manage_webhooks(alice, as_alice):
    response = as_alice.get(f"{API}webhooks/subscriptions")
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


def test_service_accounts_see_only_their_own_subscriptions(service, assets):
    from tests.factories import create_role_user

    other = create_role_user("service")
    theirs = create_subscription(url="https://a.example.com/", event_types=["*"], created_by=other)
    client = client_for(service)
    assert client.get(f"{API}webhooks/subscriptions").json() == []
    assert client.get(f"{API}webhooks/subscriptions/{theirs.pk}").status_code == 404
    assert client.delete(f"{API}webhooks/subscriptions/{theirs.pk}").status_code == 404
    staff_view = client_for(_staff()).get(f"{API}webhooks/subscriptions").json()
    assert [row["id"] for row in staff_view] == [theirs.pk]


def test_delete_subscription(service):
    client = client_for(service)
    created = client.post(
        f"{API}webhooks/subscriptions",
        {"url": "https://hooks.example.com/", "event_types": ["*"]},
        format="json",
    ).json()
    assert client.delete(f"{API}webhooks/subscriptions/{created['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists()
