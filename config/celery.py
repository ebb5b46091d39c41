"""The Celery app the job workers run: `celery -A config worker`. Settings are the
CELERY_* names in config/settings; the broker is RabbitMQ (CELERY_BROKER_URL, by
default AMQP_URL). No result backend: a job's progress and outcome live in its row."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("wallet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["jobs"])
