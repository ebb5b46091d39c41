"""What the outbox's events become for people and other systems.

- **Notification**: one per (event, user) the event concerns; stores what happened
  (`kind` and `params`), not a sentence, so the message is written in the reader's
  language when it is read.
- **WebhookSubscription**: a URL that wants some event types, with the secret its
  deliveries are signed with. Disabled after a run of failed attempts.
- **WebhookDelivery**: one per (subscription, event), created in the relay's
  transaction; the worker POSTs it until it succeeds or runs out of attempts.
- **WebhookAttempt**: one row per POST tried, kept for the operator.

None of these rows moves value: they are written by the dispatcher that `relay_batch`
calls, from event envelopes, and never read by the ledger.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    # The socket event name without its `wallet:` prefix: funds_added, payment_processed...
    kind = models.CharField(max_length=50)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "user"], name="notification_once"),
        ]
        indexes = [
            # The page read: a user's notifications newest first, and the unread count.
            models.Index(fields=["user", "-id"], name="notification_user_page"),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class WebhookSubscription(models.Model):
    url = models.URLField(max_length=500)
    # Envelope types (`wallet.transaction.posted`, ...); ["*"] is every type.
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    description = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    # Failed attempts since the last success; reaching WEBHOOK_DISABLE_AFTER_FAILURES
    # disables the subscription.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        permissions = [("manage_webhooks", "Manage webhook subscriptions over the API")]

    def __str__(self) -> str:
        return f"{self.url} ({', '.join(self.event_types)})"

    def wants(self, event_type: str) -> bool:
        return "*" in self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        # Every attempt failed (WEBHOOK_MAX_ATTEMPTS); "send again" makes it pending.
        FAILED = "failed"

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    # The envelope as the relay gave it; the body POSTed is exactly its JSON.
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> subscription {self.subscription_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    attempted_at = models.DateTimeField(default=timezone.now)
    succeeded = models.BooleanField(default=False)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        outcome = "ok" if self.succeeded else (self.error or f"HTTP {self.response_status}")
        return f"attempt on delivery {self.delivery_id}: {outcome}"
