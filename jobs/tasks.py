"""The Celery task every job runs as. The message carries the job's id only; the Job row
holds the rest.

acks_late: the broker keeps the message until the job is over, so a worker killed
mid-job (its process, its machine) leaves it unacknowledged and RabbitMQ hands it to
another worker, which resumes it (jobs.services.execute_job). reject_on_worker_lost
does the same when a prefork child dies under a live worker. A job that fails is
recorded on its row and acknowledged: rerunning it is the operator's call.
"""

from celery import shared_task

from jobs.services import execute_job


@shared_task(name="jobs.run_job", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(job_id: int) -> None:
    execute_job(job_id, worker=run_job.request.hostname or "celery")
