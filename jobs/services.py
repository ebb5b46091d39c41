"""Creating, starting and running jobs. The management commands `bulk_transfer`,
`run_campaign` and `reconcile` call the same wallets.bulk, rewards.campaigns and
ledger.reconcile functions as these; exports are in jobs.exports.

Where a job runs (settings.JOBS_RUNNER):
- "celery": a message on the broker; any worker takes it (jobs.tasks.run_job).
- "thread": the embedded default with no broker: a thread of the web process.
- "inline": in the caller, for tests and scripts.
All three call `execute_job`.
"""

import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Protocol

import structlog
from django.conf import settings
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from accounts.models import User
from core.amounts import format_amount
from core.csv_output import SafeWriter
from jobs.models import Job
from ledger.models import Asset
from ledger.reconcile import record_reconciliation
from rewards.campaigns import audience_cost, run_campaign
from rewards.errors import CampaignDone
from rewards.models import Campaign
from wallets import bulk

ACTIVE = (Job.Status.QUEUED, Job.Status.RUNNING)
# A running job whose worker has not reported for this long is taken for dead (the
# embedded runner's thread dies with its process; Celery redelivers on its own).
STALLED_AFTER = timedelta(minutes=5)
logger = structlog.get_logger(__name__)


class JobRefused(Exception):
    """A job that cannot start (already started, campaign done); the message says why."""


@dataclass
class BulkCheck:
    """A bulk file checked before anything is posted."""

    rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    totals: dict[str, str] = field(default_factory=dict)  # asset code -> amount in units


def check_bulk_file(path: Path) -> BulkCheck:
    """Every row validated (wallets.bulk.validate, line-numbered), and the totals per asset."""
    try:
        rows, errors, _ = bulk.validate(path)
    except UnicodeDecodeError:
        return BulkCheck(errors=[(1, "the file is not UTF-8 text")])
    check = BulkCheck(rows=rows, errors=errors)
    if errors:
        return check
    assets = {asset.code: asset for asset in Asset.objects.filter(active=True)}
    minor: dict[Asset, int] = {}
    for row in bulk.read_rows(path, assets):
        if isinstance(row, bulk.Row):
            minor[row.asset] = minor.get(row.asset, 0) + row.amount
    check.totals = {
        a.code: format_amount(v, scale=a.scale)
        for a, v in sorted(minor.items(), key=lambda i: i[0].code)
    }
    return check


@contextmanager
def _spooled(upload: UploadedFile) -> Iterator[Path]:
    with tempfile.NamedTemporaryFile(suffix=".csv") as local:
        for chunk in upload.chunks():
            local.write(chunk)
        local.flush()
        yield Path(local.name)


def create_bulk_job(*, upload: UploadedFile, by: User) -> tuple[Job | None, BulkCheck]:
    """Validate an uploaded bulk file; if every row is valid keep it as a READY job.
    Nothing is posted here."""
    with _spooled(upload) as path:
        check = check_bulk_file(path)
        if check.errors or not check.rows:
            return None, check
        job = Job(
            kind=Job.Kind.BULK_TRANSFER,
            total=check.rows,
            started_by=by,
            input_name=upload.name or "",
            summary={"rows": check.rows, "totals": check.totals},
        )
        with path.open("rb") as stream:
            job.input_file.save(Path(upload.name or "bulk.csv").name, File(stream), save=False)
        job.save()
    return job, check


def start_job(job: Job, *, by: User) -> None:
    """READY -> QUEUED, and hand it to the runner once committed."""
    with transaction.atomic():
        claimed = Job.objects.filter(pk=job.pk, status=Job.Status.READY).update(
            status=Job.Status.QUEUED, started_by=by
        )
        if not claimed:
            raise JobRefused(f"Job #{job.pk} has been started already.")
        transaction.on_commit(lambda: dispatch(job.pk))


def start_campaign(campaign: Campaign, *, by: User) -> Job:
    """A job paying the campaign's audience. One at a time per campaign; a done campaign
    is not run again (rewards.campaigns.run_campaign says why)."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == Campaign.Status.DONE:
            raise JobRefused(f"Campaign {campaign} is done: it pays its audience once.")
        if campaign.jobs.filter(status__in=ACTIVE).exists():
            raise JobRefused(f"Campaign {campaign} is running already.")
        users, cost = audience_cost(campaign)
        job = Job.objects.create(
            kind=Job.Kind.CAMPAIGN,
            status=Job.Status.QUEUED,
            campaign=campaign,
            total=users,
            started_by=by,
            summary={"audience": users, "cost": format_amount(cost, scale=campaign.asset.scale)},
        )
        transaction.on_commit(lambda: dispatch(job.pk))
    return job


def start_reconcile(*, by: User) -> Job:
    """A job recording a reconciliation (ledger.reconcile, as `manage.py reconcile`). One
    at a time: while one is queued or running, that one is returned."""
    with transaction.atomic():
        running = running_reconcile()
        if running is not None:
            return running
        job = Job.objects.create(
            kind=Job.Kind.RECONCILE, status=Job.Status.QUEUED, total=1, started_by=by
        )
        transaction.on_commit(lambda: dispatch(job.pk))
    return job


def running_reconcile() -> Job | None:
    return Job.objects.filter(kind=Job.Kind.RECONCILE, status__in=ACTIVE).first()


def can_rerun(job: Job) -> bool:
    """A failed job, or a running one whose worker stopped reporting, may be run again."""
    if job.status == Job.Status.FAILED:
        return True
    stalled = job.heartbeat_at is None or job.heartbeat_at < timezone.now() - STALLED_AFTER
    return job.status == Job.Status.RUNNING and stalled


def rerun_job(job: Job, *, by: User) -> None:
    """Queue a failed or stalled job again; it resumes by its idempotency keys."""
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job.pk)
        if not can_rerun(job):
            raise JobRefused(f"Job #{job.pk} is {job.status}: only a failed or stalled job reruns.")
        job.status = Job.Status.QUEUED
        job.save(update_fields=["status"])
        transaction.on_commit(lambda: dispatch(job.pk))


def dispatch(job_id: int) -> None:
    runner = settings.JOBS_RUNNER
    if runner == "celery":
        from jobs.tasks import run_job  # jobs.tasks imports this module

        run_job.apply_async((job_id,), queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    elif runner == "thread":
        threading.Thread(target=_in_thread, args=(job_id,), daemon=True).start()
    else:
        execute_job(job_id, worker="inline")


def _in_thread(job_id: int) -> None:
    try:
        execute_job(job_id, worker="thread")
    finally:
        connection.close()


def execute_job(job_id: int, *, worker: str) -> None:
    """Run a QUEUED job, or resume a RUNNING one whose worker died. A job that is done,
    failed or not started is left alone (a message delivered twice does nothing), and so
    is one that another worker is running."""
    close_old_connections()
    with _running_alone(job_id) as alone:
        if alone:
            _execute(job_id, worker=worker)


# The job locks' first key (the second is the job's id); see ledger.relay's for the outbox.
JOB_LOCKS = 0x0B0D


@contextmanager
def _running_alone(job_id: int) -> Iterator[bool]:
    """Whether this worker holds the job's lock, held for the run: a session advisory lock
    on PostgreSQL. A message RabbitMQ hands to a second worker while the first still runs
    the job (its consumer_timeout, 30 min by default, closes the first's channel; a network
    split) finds the lock taken and leaves the job to it. A worker that died holds nothing:
    the lock went with its connection, so the redelivered message resumes the job. The
    embedded default (SQLite) runs jobs in one process, without the lock."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [JOB_LOCKS, job_id])
        (held,) = cursor.fetchone()
    try:
        yield held
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [JOB_LOCKS, job_id])
            except DatabaseError:  # the connection is gone, and its lock with it
                logger.warning("job_unlock_failed", job=job_id)


def _execute(job_id: int, *, worker: str) -> None:
    claimed = Job.objects.filter(pk=job_id, status__in=ACTIVE).update(
        status=Job.Status.RUNNING,
        worker=worker,
        attempts=F("attempts") + 1,
        started_at=Coalesce(F("started_at"), Now()),
        heartbeat_at=Now(),
        done=0,
    )
    if not claimed:
        return
    job = Job.objects.select_related("campaign__asset", "started_by").get(pk=job_id)
    from jobs.exports import run_export  # jobs.exports imports this module

    run = {
        Job.Kind.BULK_TRANSFER: _run_bulk_transfer,
        Job.Kind.CAMPAIGN: _run_campaign,
        Job.Kind.EXPORT: run_export,
        Job.Kind.RECONCILE: _run_reconcile,
    }[Job.Kind(job.kind)]
    try:
        summary = run(job, _progress(job))
    except JobRefused as refused:
        _finish(job, Job.Status.FAILED, errors=[str(refused)])
    except Exception as error:  # recorded on the job for the operator to see and rerun
        logger.exception("job_failed", job=job.pk)
        _finish(job, Job.Status.FAILED, errors=[f"{type(error).__name__}: {error}"])
    else:
        failed = summary.pop("errors", [])
        _finish(job, Job.Status.FAILED if failed else Job.Status.DONE, summary, failed)


class Progress(Protocol):
    """Reports rows done (and, once known, the total) to the job's row."""

    def __call__(self, done: int, total: int | None = None) -> None: ...


def _progress(job: Job) -> Progress:
    def report(done: int, total: int | None = None) -> None:
        fields: dict = {"done": done, "heartbeat_at": timezone.now()}
        if total is not None:
            fields["total"] = total
        Job.objects.filter(pk=job.pk).update(**fields)

    return report


def _finish(job: Job, status: str, summary: dict | None = None, errors: list | None = None):
    fields: dict = {"status": status, "finished_at": timezone.now(), "errors": errors or []}
    if summary is not None:
        fields["done"] = summary.pop("done", job.total)
        fields["summary"] = {**job.summary, **summary}
    Job.objects.filter(pk=job.pk).update(**fields)


def _run_bulk_transfer(job: Job, progress: Progress) -> dict:
    """Validate again (a user may have been deactivated since), then post every row.
    A resumed run posts the file from the top: the rows posted before are replays."""
    options = job.options
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input.csv"
        with job.input_file.open("rb") as source, path.open("wb") as local:
            shutil.copyfileobj(source, local)
        rows, errors, users = bulk.validate(path)
        if errors:
            raise JobRefused(f"{len(errors)} rows are not valid any more, first: {errors[0]}")
        progress(0, rows)
        result = Path(folder) / "result.csv"
        with result.open("w", newline="", encoding="utf-8") as stream:
            writer = SafeWriter(stream)
            writer.writerow(["line", *bulk.COLUMNS, "status", "transaction_id", "error"])
            summary = bulk.post_file(
                path,
                users=users,
                result=writer,
                progress=progress,
                initiated_by=job.started_by,
                batch_size=options.get("batch_size", bulk.BATCH),
                workers=options.get("workers", bulk.WORKERS),
            )
        with result.open("rb") as stream:
            job.result_file.save(f"job-{job.pk}-result.csv", File(stream), save=False)
        Job.objects.filter(pk=job.pk).update(result_file=job.result_file.name)
    refused = [f"{summary.refused} rows were refused: see the result file"]
    return {
        "done": summary.rows,
        "posted": summary.posted,
        "already_posted": summary.already_posted,
        "refused": summary.refused,
        "errors": refused if summary.refused else [],
    }


def _run_campaign(job: Job, progress: Progress) -> dict:
    """rewards.campaigns.run_campaign: a resumed run starts after the campaign's last
    checkpoint, and the users paid since it are replays."""
    campaign = job.campaign
    assert campaign is not None
    try:
        payout = run_campaign(campaign, progress=progress)
    except CampaignDone:
        raise JobRefused(f"Campaign {campaign} is done: it pays its audience once.") from None
    failed = [f"user {user}: {code}" for user, code in list(payout.failed.items())[:100]]
    return {
        "done": payout.paid + payout.already_paid + len(payout.failed),
        "paid": payout.paid,
        "already_paid": payout.already_paid,
        "failed": len(payout.failed),
        "errors": failed,
    }


def _run_reconcile(job: Job, progress: Progress) -> dict:
    """Every check over one snapshot, recorded as a ReconciliationRun. A mismatch is the
    outcome of a job done, not a failure of the job."""
    run = record_reconciliation()
    problems = list(run.report["problems"])
    return {
        "done": 1,
        "reconciliation": run.pk,
        "outcome": "clean" if run.ok else f"MISMATCH in {', '.join(problems)}",
        "checks": len(run.report["checked"]),
    }
