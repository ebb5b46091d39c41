"""Webhook writes: subscriptions, the deliveries the dispatcher queues, operator actions."""

import secrets
from collections.abc import Sequence

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from core.errors import ValidationError
from integrations.events import Envelope
from integrations.models import WebhookDelivery, WebhookSubscription
from integrations.webhooks.addresses import validate_url
from ledger.events.catalogue import CATALOGUE


# What a subscription may ask for: the outbox's catalogue (ledger.events); "*" is every type.
# Read at each call: apps above the ledger may add types to the catalogue as they load.
def known_event_types() -> list[str]:
    return list(CATALOGUE)


MIN_SECRET_LENGTH = 16


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_event_types(event_types: object) -> list[str]:
    if (
        not isinstance(event_types, list)
        or not event_types
        or any(not isinstance(name, str) for name in event_types)
    ):
        raise _invalid("event_types", "A non-empty list of event types.")
    unknown = sorted(set(event_types) - {*known_event_types(), "*"})
    if unknown:
        raise _invalid("event_types", f"Unknown event types: {', '.join(unknown)}.")
    return sorted(set(event_types))


def create_subscription(
    *,
    url: str,
    event_types: list[str],
    secret: str | None = None,
    description: str = "",
    created_by: User | None = None,
) -> WebhookSubscription:
    if secret is not None and len(secret) < MIN_SECRET_LENGTH:
        raise _invalid("secret", f"At least {MIN_SECRET_LENGTH} characters.")
    return WebhookSubscription.objects.create(
        url=validate_url(url),
        event_types=validate_event_types(event_types),
        secret=secret or new_secret(),
        description=description,
        created_by=created_by,
    )


def update_subscription(
    subscription: WebhookSubscription,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    if url is not None:
        subscription.url = validate_url(url)
    if event_types is not None:
        subscription.event_types = validate_event_types(event_types)
    if description is not None:
        subscription.description = description
    if is_active is True and not subscription.is_active:
        _reset_for_enable(subscription)
    elif is_active is False:
        subscription.is_active = False
    subscription.save()
    return subscription


def enable_subscriptions(subscriptions: QuerySet[WebhookSubscription]) -> int:
    """Turn subscriptions back on with a clean failure count; their pending deliveries,
    kept while they were off, go out again."""
    return subscriptions.update(is_active=True, consecutive_failures=0, disabled_at=None)


def disable_subscriptions(subscriptions: QuerySet[WebhookSubscription]) -> int:
    return subscriptions.update(is_active=False, disabled_at=timezone.now())


def send_again(deliveries: QuerySet[WebhookDelivery]) -> int:
    """Make deliveries due now with a fresh run of attempts (their attempt log stays),
    whatever their state: a receiver that lost an event asks for it again."""
    return deliveries.update(
        status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=timezone.now()
    )


def queue_deliveries(envelopes: Sequence[Envelope]) -> int:
    """One delivery per (active subscription, event it wants), in the caller's transaction.
    A subscription switched off gets no new deliveries while it is off."""
    if not envelopes:
        return 0
    assert transaction.get_connection().in_atomic_block, "queue in the relay's transaction"
    subscriptions = list(WebhookSubscription.objects.filter(is_active=True))
    deliveries = [
        WebhookDelivery(
            subscription=subscription,
            event_id=envelope.id,
            event_type=envelope.type,
            payload=dict(envelope.raw),
        )
        for envelope in envelopes
        for subscription in subscriptions
        if subscription.wants(envelope.type)
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    return len(deliveries)


def _reset_for_enable(subscription: WebhookSubscription) -> None:
    subscription.is_active = True
    subscription.consecutive_failures = 0
    subscription.disabled_at = None


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError(message, details={field: [message]})
