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
