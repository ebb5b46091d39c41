FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 wallet
COPY pyproject.toml ./
COPY core ./core
COPY config ./config
COPY accounts ./accounts
COPY ledger ./ledger
COPY wallets ./wallets
COPY rewards ./rewards
COPY templates ./templates
COPY fixtures ./fixtures
COPY manage.py ./
RUN pip install --no-cache-dir . \
    && SECRET_KEY=collectstatic-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
       python manage.py collectstatic --no-input

USER wallet
EXPOSE 8000
# Two sync workers per core: measured against gthread (2 x 4 threads) and 1 per core
# with bench/request_path.py, see README "Benchmarks"; a spend waits on its commit, so
# a second worker per core keeps the CPU busy meanwhile.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", \
     "--access-logfile", "-"]
