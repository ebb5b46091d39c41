# The Celery app is created with the project, so the jobs' shared tasks bind to it.
from config.celery import app as celery_app

__all__ = ["celery_app"]
