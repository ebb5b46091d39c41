import csv
import io

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from jobs.models import Job
from ledger.models import Transaction
from rewards.models import Campaign
from tests.factories import create_user, fund, wallet

# Committed data: a bulk transfer posts on worker threads with their own connections.
pytestmark = pytest.mark.django_db(transaction=True)

HEADER = "from,to,asset,amount,reference\n"


def upload(desk, body: str, name: str = "payouts.csv"):
    file = SimpleUploadedFile(name, (HEADER + body).encode(), content_type="text/csv")
    return desk.post("/admin/jobs/job/bulk-transfer/", {"file": file})


def test_a_bad_row_is_shown_with_its_line_and_nothing_is_kept_or_posted(staff_desk, alice, bob):
    response = upload(
        staff_desk,
        "TREASURY,alice@example.com,GOLD,10,p-1\n"
        "TREASURY,nobody@example.com,GOLD,10,p-2\n"
        "TREASURY,bob@example.com,GOLD,ten,p-3\n",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "2 bad rows" in page
    assert '<td class="line">3</td><td>no active user nobody@example.com</td>' in page
    assert '<td class="line">4</td>' in page
    assert not Job.objects.exists()
    assert not Transaction.objects.filter(idempotency_key__startswith="bulk:").exists()


def test_a_valid_file_waits_for_start_then_posts_and_reports(staff_desk, alice, bob):
    # given a valid upload: validated, kept, nothing posted yet
    response = upload(
        staff_desk,
        "TREASURY,alice@example.com,GOLD,10,p-1\nTREASURY,bob@example.com,GOLD,15,p-2\n",
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/change/")
    assert job.status == Job.Status.READY and job.summary["totals"] == {"GOLD": "25"}
    assert not Transaction.objects.filter(idempotency_key__startswith="bulk:").exists()
    page = staff_desk.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert 'id="start-job"' in page and "25 GOLD" in page

    # when started (the test settings run jobs in the caller)
    staff_desk.post(f"/admin/jobs/job/{job.pk}/start/")

    # then it is done, with the totals, the balances and a result file
    state = staff_desk.get(f"/admin/jobs/job/{job.pk}/status/").json()
    assert state["status"] == "DONE" and state["percent"] == 100
    assert (state["done"], state["total"]) == (2, 2)
    assert state["summary"]["posted"] == 2 and state["summary"]["refused"] == 0
    assert wallet(alice, "GOLD").balance == 110 and wallet(bob, "GOLD").balance == 115
    result = staff_desk.get(state["result_url"])
    rows = list(csv.DictReader(io.StringIO(b"".join(result.streaming_content).decode())))
    assert [row["status"] for row in rows] == ["posted", "posted"]
    # and it cannot be started twice
    staff_desk.post(f"/admin/jobs/job/{job.pk}/start/")
    assert Transaction.objects.filter(idempotency_key__startswith="bulk:").count() == 2


def test_a_job_run_again_posts_nothing_twice(staff_desk, alice):
    from jobs.services import execute_job

    upload(staff_desk, "TREASURY,alice@example.com,GOLD,10,again-1\n")
    job = Job.objects.get()
    staff_desk.post(f"/admin/jobs/job/{job.pk}/start/")
    # a redelivered message for a job whose worker died: the row is RUNNING again
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING)

    execute_job(job.pk, worker="second")

    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.attempts == 2
    assert job.summary["already_posted"] == 1 and job.summary["posted"] == 0
    assert wallet(alice, "GOLD").balance == 110


def test_refused_rows_fail_the_job_and_show_in_the_result(staff_desk, alice, bob):
    upload(staff_desk, "alice@example.com,bob@example.com,COIN,5,too-much\n")
    job = Job.objects.get()

    staff_desk.post(f"/admin/jobs/job/{job.pk}/start/")

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.summary["refused"] == 1
    assert "refused" in job.errors[0]
    page = staff_desk.get(f"/admin/jobs/job/{job.pk}/change/").content.decode()
    assert 'id="rerun-job"' in page  # once alice is funded, a rerun posts the row
    fund(wallet(alice, "COIN"), 500)
    staff_desk.post(f"/admin/jobs/job/{job.pk}/rerun/")
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and wallet(bob, "COIN").balance == 500


def test_support_sees_jobs_and_starts_nothing(support_desk, staff_desk, alice):
    upload(staff_desk, "TREASURY,alice@example.com,GOLD,10,s-1\n")
    job = Job.objects.get()

    assert support_desk.get(f"/admin/jobs/job/{job.pk}/change/").status_code == 200
    assert 'id="start-job"' not in support_desk.get(f"/admin/jobs/job/{job.pk}/change/").text
    assert support_desk.post(f"/admin/jobs/job/{job.pk}/start/").status_code == 403
    assert upload(support_desk, "TREASURY,alice@example.com,GOLD,1,s-2\n").status_code == 403
    drive = Campaign.objects.create(name="d", asset=wallet(alice, "GOLD").asset, amount=1)
    assert support_desk.post(f"/admin/jobs/job/campaign/{drive.pk}/start/").status_code == 403
    job.refresh_from_db()
    assert job.status == Job.Status.READY


def test_campaign_start_page_shows_size_and_cost_then_the_job_pays(staff_desk, assets):
    users = [create_user() for _ in range(3)]
    drive = Campaign.objects.create(name="winter", asset=assets["COIN"], amount=150)

    page = staff_desk.get(f"/admin/jobs/job/campaign/{drive.pk}/start/").content.decode()
    assert '<strong id="audience-size">3</strong>' in page
    assert '<strong id="audience-cost">4.50 COIN</strong>' in page

    response = staff_desk.post(f"/admin/jobs/job/campaign/{drive.pk}/start/")

    job = Job.objects.get(kind=Job.Kind.CAMPAIGN)
    assert response["Location"].endswith(f"/{job.pk}/change/")
    assert job.status == Job.Status.DONE and job.summary["paid"] == 3
    assert all(wallet(user, "COIN").balance == 150 for user in users)
    # a done campaign is not started again
    staff_desk.post(f"/admin/jobs/job/campaign/{drive.pk}/start/")
    assert Job.objects.filter(kind=Job.Kind.CAMPAIGN).count() == 1


def test_the_embedded_runner_runs_a_job_in_a_thread(staff_desk, alice, settings):
    import time

    settings.JOBS_RUNNER = "thread"
    upload(staff_desk, "TREASURY,alice@example.com,GOLD,10,t-1\n")
    job = Job.objects.get()

    response = staff_desk.post(f"/admin/jobs/job/{job.pk}/start/")

    assert response.status_code == 302  # answered without waiting for the job
    for _ in range(100):
        job.refresh_from_db()
        if job.status in Job.FINISHED:
            break
        time.sleep(0.1)
    assert job.status == Job.Status.DONE and job.worker == "thread"
    assert wallet(alice, "GOLD").balance == 110


@pytest.mark.postgres_only
def test_a_job_another_worker_is_running_is_left_to_it(staff_desk, alice):
    """A message redelivered while the first worker still runs the job (RabbitMQ's
    consumer_timeout closed its channel): the second worker finds the job's lock taken."""
    from jobs.services import JOB_LOCKS, execute_job

    upload(staff_desk, "TREASURY,alice@example.com,GOLD,10,alone-1\n")
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, attempts=1)
    db = connection.settings_dict
    first_worker = psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    )
    try:
        first_worker.execute("SELECT pg_advisory_lock(%s, %s)", [JOB_LOCKS, job.pk])

        execute_job(job.pk, worker="second")

        job.refresh_from_db()
        assert (job.status, job.attempts, job.done) == (Job.Status.RUNNING, 1, 0)
        assert wallet(alice, "GOLD").balance == 100
    finally:
        first_worker.close()  # the first worker dies: its lock goes with its connection

    execute_job(job.pk, worker="second")

    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == (Job.Status.DONE, 2, "second")
    assert wallet(alice, "GOLD").balance == 110
