"""Jobs the back office starts and watches: a bulk transfer of an uploaded file, a
campaign's payout, an export too long for a request, a reconciliation. A Job row is the
whole state of one: the broker's message only says "run job N", so its progress, result
and errors live here, where every worker and the admin page read them.

A job moves READY -> QUEUED -> RUNNING -> DONE or FAILED. A worker that dies leaves it
RUNNING; the message, acknowledged only at the end, goes to another worker, which runs
it again: every row is posted under its own idempotency key, so what was posted before
is a replay and nothing moves twice. An export or a reconciliation moves nothing: run
again, it starts over.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from rewards.models import Campaign


class Job(models.Model):
    class Kind(models.TextChoices):
        BULK_TRANSFER = "BULK_TRANSFER", "Bulk transfer"
        CAMPAIGN = "CAMPAIGN", "Campaign"
        EXPORT = "EXPORT", "Export"
        RECONCILE = "RECONCILE", "Reconciliation"

    class Status(models.TextChoices):
        READY = "READY", "Validated, not started"
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Running"
        DONE = "DONE", "Done"
        FAILED = "FAILED", "Failed"

    FINISHED = (Status.DONE, Status.FAILED)

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READY)
    done = models.PositiveBigIntegerField(default=0, help_text="Rows or users handled.")
    total = models.PositiveBigIntegerField(default=0)
    input_file = models.FileField(upload_to="jobs/input/", blank=True)
    input_name = models.CharField(max_length=255, blank=True, help_text="As uploaded.")
    result_file = models.FileField(upload_to="jobs/result/", blank=True)
    campaign = models.ForeignKey(
        Campaign, models.PROTECT, null=True, blank=True, related_name="jobs"
    )
    summary = models.JSONField(default=dict, blank=True, help_text="Totals of the last run.")
    errors = models.JSONField(default=list, blank=True, help_text="Why it failed.")
    options = models.JSONField(
        default=dict, blank=True, help_text="batch_size, workers; an export's order."
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    worker = models.CharField(max_length=255, blank=True, help_text="Who runs it last.")
    attempts = models.PositiveIntegerField(default=0, help_text="Runs started; >1: resumed.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("start_job", "Can start bulk transfers and campaigns")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
