FROM python:3.12-slim

# PROMETHEUS_MULTIPROC_DIR: each gunicorn worker keeps its metrics in files there and
# /metrics adds them up (config/gunicorn.py empties it at start); prometheus_client reads
# it when first imported, so it is set here, not in settings.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus

WORKDIR /app
RUN useradd --create-home --uid 1000 wallet \
    && install -d -o wallet -g wallet "$PROMETHEUS_MULTIPROC_DIR" /app/media
COPY pyproject.toml ./
COPY core ./core
COPY config ./config
COPY accounts ./accounts
COPY ledger ./ledger
COPY wallets ./wallets
COPY rewards ./rewards
COPY jobs ./jobs
COPY integrations ./integrations
COPY templates ./templates
COPY fixtures ./fixtures
COPY manage.py ./
# Translations are compiled here (.mo files are build output, not in git); gettext's
# msgfmt is needed only for that.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir . \
    && (cd integrations && DJANGO_SETTINGS_MODULE=config.settings.local python ../manage.py compilemessages) \
    && SECRET_KEY=collectstatic-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
       PROMETHEUS_MULTIPROC_DIR= python manage.py collectstatic --no-input

USER wallet
EXPOSE 8000
# The process answers (/healthz); readiness (/readyz, the database) is the orchestrator's
# to ask, so a database outage does not get healthy workers restarted.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-m", "config.healthcheck", "/healthz"]
# Two sync workers per core: measured against gthread (2 x 4 threads) and 1 per core
# with bench/request_path.py, see README "Benchmarks"; a spend waits on its commit, so
# a second worker per core keeps the CPU busy meanwhile. No gunicorn access log: each
# request's JSON request_finished line (with its request id) takes its place.
CMD ["gunicorn", "config.wsgi:application", "--config", "python:config.gunicorn", \
     "--bind", "0.0.0.0:8000", "--workers", "4"]
