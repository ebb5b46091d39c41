"""The webhook worker's work: claim due deliveries, POST them, record each attempt.

Claiming takes due rows with SKIP LOCKED and pushes their `next_attempt_at` a lease ahead
in one short transaction, so several workers share the queue and no HTTP call runs with a
transaction open. A worker that dies mid-attempt leaves the row to come due again when the
lease ends: delivery is at least once, and receivers drop duplicates by `Webhook-Id`.

A failed attempt (no 2xx in WEBHOOK_TIMEOUT_SECONDS, a redirect, a refused address) is
tried again after an exponential backoff with jitter: attempt n waits a random time
between half and all of min(BASE * 2^(n-1), MAX). After WEBHOOK_MAX_ATTEMPTS the delivery
is `failed`; after WEBHOOK_DISABLE_AFTER_FAILURES failed attempts in a row (any delivery)
the subscription is disabled.
"""

import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks.addresses import BlockedAddress, check_public
from integrations.webhooks.signing import sign

USER_AGENT = "wallet-service-webhooks/1"
# What is kept of a failing receiver's answer in the attempt log.
ERROR_BODY_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    succeeded: bool
    response_status: int | None
    error: str
    duration_ms: int


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt: following it could lead the worker anywhere."""

    def redirect_request(self, req, fp, code, msg, headers, newurl) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def claim_due(*, limit: int, now: datetime | None = None) -> list[int]:
    """Lease up to `limit` due deliveries of active subscriptions to this worker."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + 30)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("id", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now + lease)
    return ids


def deliver(delivery_id: int) -> Outcome | None:
    """Make one attempt at a claimed delivery and record it; None if it is gone or no
    longer pending (sent again, or its subscription deleted, meanwhile)."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING)
        .first()
    )
    if delivery is None:
        return None
    outcome = post(delivery.subscription, delivery)
    record(delivery, outcome)
    return outcome


def post(subscription: WebhookSubscription, delivery: WebhookDelivery) -> Outcome:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Webhook-Id": str(delivery.event_id),
            "Webhook-Timestamp": str(timestamp),
            "Webhook-Signature": sign(secret=subscription.secret, body=body, timestamp=timestamp),
        },
    )
    started = time.monotonic()

    def finish(succeeded: bool, status: int | None, error: str) -> Outcome:
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(succeeded, status, error[:2000], duration)

    try:
        check_public(subscription.url)
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(ERROR_BODY_CHARS)
            status = response.status
        if 200 <= status < 300:
            return finish(True, status, "")
        return finish(False, status, f"HTTP {status}")
    except urllib.error.HTTPError as error:
        text = error.read(ERROR_BODY_CHARS).decode("utf-8", "replace")
        return finish(False, error.code, f"HTTP {error.code}: {text}".strip())
    except BlockedAddress as error:
        return finish(False, None, f"blocked: {error}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return finish(False, None, f"{type(error).__name__}: {reason}")


def record(delivery: WebhookDelivery, outcome: Outcome) -> None:
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            succeeded=outcome.succeeded,
            response_status=outcome.response_status,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        attempts = delivery.attempts + 1
        changes: dict[str, object] = {"attempts": attempts, "last_attempt_at": now}
        subscriptions = WebhookSubscription.objects.filter(pk=delivery.subscription_id)
        if outcome.succeeded:
            changes |= {"status": WebhookDelivery.Status.SUCCEEDED, "delivered_at": now}
            subscriptions.update(consecutive_failures=0)
        else:
            if attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
                changes["status"] = WebhookDelivery.Status.FAILED
            else:
                changes["next_attempt_at"] = now + timedelta(seconds=backoff(attempts))
            subscriptions.update(consecutive_failures=F("consecutive_failures") + 1)
            subscriptions.filter(
                is_active=True,
                consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER_FAILURES,
            ).update(is_active=False, disabled_at=now)
        # Only while still pending: "send again" meanwhile wins.
        WebhookDelivery.objects.filter(
            pk=delivery.pk, status=WebhookDelivery.Status.PENDING
        ).update(**changes)


def backoff(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones ("equal jitter")."""
    ceiling = min(
        settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempts - 1),
        settings.WEBHOOK_RETRY_MAX_SECONDS,
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def deliver_due(*, limit: int = 50) -> int:
    """Claim and attempt one batch; return how many attempts were made."""
    made = 0
    for delivery_id in claim_due(limit=limit):
        if deliver(delivery_id) is not None:
            made += 1
    return made
