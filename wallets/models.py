from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyRecord(models.Model):
    """The first response to a value-moving request, replayed for the same (caller, key).

    Stored in the same database transaction as the posting it answers, so a
    request either moved value and has its record, or did neither.
    """

    caller = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="wallets_idempotency_once"),
        ]

    def __str__(self) -> str:
        return f"{self.caller_id}:{self.key} -> {self.response_status}"


class InboxMessage(models.Model):
    """A message from another service that has been applied, once, by its message id.

    Written in the same database transaction as the message's effect: a redelivered
    message finds its row and changes nothing (at-least-once delivery, applied once).
    """

    message_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(default=timezone.now)
    outcome = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"


class ExternalTransaction(models.Model):
    """What another service's transaction (by its id) did to the wallets, so that a
    completion posts at most once and a failure arriving first is remembered."""

    class Status(models.TextChoices):
        COMPLETED = "completed"  # posted (or captured a hold)
        REJECTED = "rejected"  # the ledger refused the completion; nothing posted
        FAILED = "failed"  # failed before any completion; a late completion posts nothing
        REVERTED = "reverted"  # completed, then failed: the posting was reversed
        VOIDED = "voided"  # failed while a hold for it was pending: the hold was voided

    external_id = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices)
    # What the completion carried (sha256), to tell a repeat from a conflicting one.
    fingerprint = models.CharField(max_length=64, blank=True)
    transaction = models.OneToOneField(
        "ledger.Transaction", models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal = models.OneToOneField(
        "ledger.Transaction", models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The hold a payment's completion captured, or its failure voided.
    hold = models.ForeignKey("ledger.Hold", models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.external_id} {self.status}"


class DeadLetter(models.Model):
    """A message that could not be applied after its attempts, kept for an operator to
    read and replay (the same handler again: a message applied since changes nothing)."""

    # The message id, or "sha256:<body hash>" for a message that has none.
    message_key = models.CharField(max_length=255, unique=True)
    message_id = models.CharField(max_length=255, blank=True)
    type = models.CharField(max_length=100, blank=True)
    routing_key = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    replayed_at = models.DateTimeField(null=True, blank=True)
    replay_result = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type or 'message'} {self.message_key}"
