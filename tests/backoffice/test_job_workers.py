"""Jobs on real Celery workers (separate processes) against RabbitMQ and PostgreSQL: two
workers run two jobs at once; one is killed (SIGKILL, its whole process group) mid-job,
and the job resumes on a worker, posting every row exactly once."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from kombu import Connection

from config.celery import app as celery_app
from jobs import services
from jobs.models import Job
from ledger.models import Transaction
from tests.factories import create_role_user, create_user, wallet

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
ROWS = 2000
USERS = 10


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(0.1)


class Workers:
    def __init__(self, queue: str, media: str):
        self.queue, self.media = queue, media
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str) -> subprocess.Popen:
        """`celery -A config worker` on the test database, in its own process group."""
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CELERY_BROKER_URL": AMQP_URL,
            "JOBS_QUEUE": self.queue,
            "MEDIA_ROOT": self.media,
            "TEST_JOBS_RUNNER": "celery",
            "PYTHONUNBUFFERED": "1",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo"]
        command += ["-Q", self.queue, "-n", f"{name}@%h", "-l", "WARNING"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes[name] = process
        return process

    def consumers(self) -> int:
        with Connection(AMQP_URL) as amqp:
            return amqp.default_channel.queue_declare(self.queue, passive=True).consumer_count

    def wait_ready(self, count: int) -> None:
        wait_for(lambda: self._declared() and self.consumers() >= count, f"{count} workers")

    def _declared(self) -> bool:
        try:
            self.consumers()
        except Exception:  # the first worker declares the queue once it is up
            return False
        return True

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        # Idle by now, every message acknowledged: nothing for a warm shutdown to finish.
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture
def workers(settings) -> Iterator[Workers]:
    queue = f"test.jobs.{uuid.uuid4().hex[:8]}"
    settings.JOBS_RUNNER = "celery"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue
    celery_app.conf.broker_url = AMQP_URL
    pool = Workers(queue, str(settings.MEDIA_ROOT))
    yield pool
    pool.stop_all()
    with Connection(AMQP_URL) as amqp:
        amqp.default_channel.queue_delete(queue)


def bulk_job(staff, users, tag: str) -> tuple[Job, Counter]:
    expected: Counter = Counter()
    lines = ["from,to,asset,amount,reference"]
    for n in range(ROWS):
        user = users[n % len(users)]
        lines.append(f"TREASURY,{user.email},GOLD,1,{tag}-{n}")
        expected[user.pk] += 1
    upload = SimpleUploadedFile(f"{tag}.csv", "\n".join(lines).encode())
    job, check = services.create_bulk_job(upload=upload, by=staff)
    assert job is not None, check.errors
    # Small batches, one connection: many commits, so the kill falls between two of them.
    Job.objects.filter(pk=job.pk).update(options={"batch_size": 10, "workers": 1})
    return job, expected


def state(job: Job) -> Job:
    job.refresh_from_db()
    return job


def test_a_killed_worker_s_job_resumes_and_posts_every_row_once(workers, assets):
    # given two bulk jobs and two workers
    staff = create_role_user("staff")
    users = [create_user() for _ in range(USERS)]
    first, expected_first = bulk_job(staff, users, "first")
    second, expected_second = bulk_job(staff, users, "second")
    workers.start("one")
    workers.start("two")
    workers.wait_ready(2)

    # when both run at once, each on its own worker
    services.start_job(first, by=staff)
    services.start_job(second, by=staff)
    wait_for(lambda: state(first).done > 100 and state(second).done > 0, "both jobs to be running")
    assert {state(first).worker, state(second).worker} == {
        f"one@{os.uname()[1]}",
        f"two@{os.uname()[1]}",
    }
    killed = state(first).worker.split("@")[0]

    # and the first one's worker is killed mid-job
    workers.kill(killed)
    posted_before = Transaction.objects.filter(idempotency_key__startswith="bulk:first-").count()
    assert 0 < posted_before < ROWS
    assert state(first).status == Job.Status.RUNNING
    workers.start(f"{killed}-again")  # the restarted worker

    # then both finish, the first resumed by a worker of its own accord
    wait_for(lambda: state(first).status in Job.FINISHED, "the resumed job", timeout=180)
    wait_for(lambda: state(second).status in Job.FINISHED, "the other job", timeout=180)
    first, second = state(first), state(second)
    assert first.status == second.status == Job.Status.DONE, (first.errors, second.errors)
    assert first.attempts == 2 and second.attempts == 1
    assert first.summary["already_posted"] >= posted_before  # replays, never paid again
    assert first.summary["posted"] + first.summary["already_posted"] == ROWS
    assert second.summary["posted"] == ROWS
    for tag in ("first", "second"):
        keys = Transaction.objects.filter(idempotency_key__startswith=f"bulk:{tag}-")
        assert keys.count() == ROWS
    for user in users:
        paid = expected_first[user.pk] + expected_second[user.pk]
        assert wallet(user, "GOLD").balance == 100 + paid  # the signup grant, then each row once
