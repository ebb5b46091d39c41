"""Exports of more rows than EXPORTS_INLINE_MAX_ROWS run as jobs (jobs.exports): the
same file as the inline export of the same list, for who may view that list."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from openpyxl import load_workbook

from accounts.models import User
from core.exports import counted
from jobs.models import Job
from tests.factories import fund, spend, wallet

# Committed data: the job runs on its own (execute_job closes a connection left in a
# transaction, as a worker's would be).
pytestmark = pytest.mark.django_db(transaction=True)

TOPUPS = "/admin/ledger/transaction/export/csv/?type__exact=TOPUP&o=-1"


@pytest.fixture
def not_dispatched(monkeypatch) -> list[int]:
    """Jobs queued but not handed to a runner: what the page shows meanwhile."""
    queued: list[int] = []
    monkeypatch.setattr("jobs.exports.dispatch", queued.append)
    return queued


@pytest.fixture
def ledger_rows(alice, bob) -> None:
    for amount in (1250, 10, 25, 4000):
        fund(wallet(alice, "COIN"), amount)
    fund(wallet(bob, "GOLD"), 7)
    spend(alice, 30, "COIN")  # filtered out of TOPUP


def as_job(desk: Client, url: str) -> tuple[Job, bytes]:
    """Export `url` when it is over the threshold: the job it starts, run (inline, once
    the request commits), and its result file as downloaded from the job's page."""
    started = desk.get(url)
    job = Job.objects.get()
    assert started.status_code == 302
    assert started["Location"] == f"/admin/jobs/job/{job.pk}/change/"
    job.refresh_from_db()
    download = desk.get(f"/admin/jobs/job/{job.pk}/result/")
    assert download.status_code == 200, job.errors
    return job, b"".join(download.streaming_content)


def test_a_list_over_the_threshold_becomes_a_job_with_the_inline_file(
    staff_desk, ledger_rows, settings
):
    # given the filtered list exported in the page, with the threshold above its 5 rows
    settings.EXPORTS_INLINE_MAX_ROWS = 5
    inline = staff_desk.get(TOPUPS)
    assert inline.status_code == 200 and not Job.objects.exists()
    inline_body = b"".join(inline.streaming_content)

    # when the threshold is below its row count
    settings.EXPORTS_INLINE_MAX_ROWS = 4
    job, body = as_job(staff_desk, TOPUPS)

    # then the job wrote the same file: same rows, columns, filter and order
    assert job.kind == Job.Kind.EXPORT and job.status == Job.Status.DONE
    assert (job.done, job.total, job.summary["rows"]) == (5, 5, 5)
    assert body == inline_body
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert [row["amount"] for row in rows][:3] == ["7", "40.00", "0.25"]  # newest first
    assert {row["type"] for row in rows} == {"TOPUP"} and len(rows) == 5
    assert job.options["export"]["query"] == "type__exact=TOPUP&o=-1"


def test_an_xlsx_export_job_has_the_inline_cells(staff_desk, ledger_rows, settings):
    url = "/admin/ledger/entry/export/xlsx/?q=alice@example.com"
    inline = b"".join(staff_desk.get(url).streaming_content)
    settings.EXPORTS_INLINE_MAX_ROWS = 1

    job, body = as_job(staff_desk, url)

    def cells(data: bytes) -> list:
        return [list(r) for r in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]

    assert job.summary["file"].endswith(".xlsx") and job.summary["rows"] == 6
    assert cells(body) == cells(inline)
    assert {row[5] for row in cells(body)[1:]} == {"alice@example.com"}


def test_a_long_statement_becomes_a_job(staff_desk, ledger_rows, alice, settings):
    coin = wallet(alice, "COIN")
    url = f"/admin/ledger/account/{coin.pk}/statement/csv/"
    inline = b"".join(staff_desk.get(url).streaming_content)
    settings.EXPORTS_INLINE_MAX_ROWS = 2

    job, body = as_job(staff_desk, url)

    assert body == inline
    assert job.options["export"]["what"] == "statement"
    assert job.options["export"]["object_id"] == coin.pk
    assert [r["balance_after"] for r in csv.DictReader(io.StringIO(body.decode()))][-1] == "52.55"


def test_the_job_page_shows_the_progress(staff_desk, ledger_rows, settings, not_dispatched):
    settings.EXPORTS_INLINE_MAX_ROWS = 1
    # queued: its runner (the commit callback) has not run yet
    started = staff_desk.get(TOPUPS)
    queued = staff_desk.get(started["Location"]).content.decode()
    job = Job.objects.get()
    assert 'id="job-status" data-status="QUEUED"' in queued
    assert '<span id="job-count">0 / 0</span>' in queued

    from jobs.services import execute_job

    execute_job(job.pk, worker="test")
    page = staff_desk.get(started["Location"]).content.decode()
    state = staff_desk.get(f"/admin/jobs/job/{job.pk}/status/").json()

    assert '<span id="job-count">5 / 5</span>' in page and 'id="result-file"' in page
    assert (state["done"], state["total"], state["percent"]) == (5, 5, 100)


def test_the_same_export_clicked_twice_is_one_job(
    staff_desk, ledger_rows, settings, not_dispatched
):
    settings.EXPORTS_INLINE_MAX_ROWS = 1
    first, second = staff_desk.get(TOPUPS), staff_desk.get(TOPUPS)
    assert first["Location"] == second["Location"] and Job.objects.count() == 1


def test_progress_is_reported_every_chunk_and_at_the_end():
    reported: list[int] = []
    rows = [["header"], *([[n] for n in range(5)])]

    assert list(counted(rows, reported.append, every=2)) == rows
    assert reported == [2, 4, 5]


def test_the_job_checks_the_starters_permission_again(
    staff_desk, ledger_rows, settings, not_dispatched
):
    # given an export job started by a staff member whose role is then withdrawn
    settings.EXPORTS_INLINE_MAX_ROWS = 1
    staff_desk.get(TOPUPS)
    job = Job.objects.get()
    assert job.started_by is not None
    job.started_by.groups.clear()

    from jobs.services import execute_job

    execute_job(job.pk, worker="test")
    job.refresh_from_db()

    assert job.status == Job.Status.FAILED and not job.result_file
    assert "may not view this list" in job.errors[0]


def test_who_cannot_view_the_list_starts_no_job_and_downloads_no_result(
    staff_desk, ledger_rows, settings
):
    # given a user who may see jobs but not transactions
    settings.EXPORTS_INLINE_MAX_ROWS = 1
    watcher = User.objects.create_user(email="w@example.com", password="x-pass-12", is_staff=True)
    watcher.user_permissions.add(
        *Group.objects.get(name="staff").permissions.filter(content_type__app_label="jobs")
    )
    other = Client()
    other.force_login(watcher)
    _, _ = as_job(staff_desk, TOPUPS)
    job = Job.objects.get()

    assert other.get(TOPUPS).status_code == 403
    assert Job.objects.count() == 1
    assert other.get(f"/admin/jobs/job/{job.pk}/").status_code in (200, 302)
    assert other.get(f"/admin/jobs/job/{job.pk}/result/").status_code == 403


def test_support_exports_a_long_list_as_a_job(support_desk, ledger_rows, settings):
    settings.EXPORTS_INLINE_MAX_ROWS = 1

    job, body = as_job(support_desk, TOPUPS)

    assert job.status == Job.Status.DONE and body.count(b"\n") == 6  # header and 5 rows


def test_an_export_taken_over_after_its_worker_died_writes_the_file_again(
    staff_desk, ledger_rows, settings, not_dispatched
):
    # given an export job whose worker died after it had started (left RUNNING)
    settings.EXPORTS_INLINE_MAX_ROWS = 1
    staff_desk.get(TOPUPS)
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1, done=3)

    # when the broker hands its message to another worker
    from jobs.services import execute_job

    execute_job(job.pk, worker="second")
    job.refresh_from_db()

    # then the file is written from the first row: whole, nothing twice
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert (job.done, job.summary["rows"]) == (5, 5)
    body = b"".join(staff_desk.get(f"/admin/jobs/job/{job.pk}/result/").streaming_content)
    settings.EXPORTS_INLINE_MAX_ROWS = 100
    assert body == b"".join(staff_desk.get(TOPUPS).streaming_content)
