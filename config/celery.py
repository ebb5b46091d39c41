"""The Celery app the job workers run: `celery -A config worker`. Settings are the
CELERY_* names in config/settings; the broker is RabbitMQ (CELERY_BROKER_URL, by
default AMQP_URL). No result backend: a job's progress and outcome live in its row.

The settings module is DJANGO_SETTINGS_MODULE's (the image sets production): this
module is imported with `config`, and must not choose settings for the web server."""

from celery import Celery

app = Celery("wallet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["jobs"])
