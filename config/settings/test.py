"""Tests: PostgreSQL (the invariants live there) or, for the second lane, the embedded
SQLite; a fast hasher, no pool."""

import secrets
import tempfile
from pathlib import Path

from config.env import database_from_url, env_str
from core.observability.logs import logging_settings

from .base import *  # noqa: F403
from .base import BASE_DIR, SIMPLE_JWT

# Signs this test run's tokens only: a new one for every run unless one is given.
SECRET_KEY = env_str("TEST_SECRET_KEY") or secrets.token_urlsafe(50)
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests open and close many connections from threads; a pool would only hide leaks.
_url = env_str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wallet")
if _url.startswith("sqlite:"):
    # The second lane (scripts/test): the embedded default `scripts/start` gives a
    # newcomer, IMMEDIATE and WAL included. The test database is a file beside the
    # named one (test_db.sqlite3 for sqlite:///db.sqlite3, as PostgreSQL's test_wallet
    # for wallet), not Django's :memory: default: threads share it as the server's do.
    DATABASES = {"default": database_from_url(_url, sqlite_path=BASE_DIR / "db.sqlite3")}
    _name = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": _name.with_name(f"test_{_name.name}")}
else:
    DATABASES = {
        "default": database_from_url(
            _url + ("&" if "?" in _url else "?") + "pool=0", sqlite_path=BASE_DIR / "test.sqlite3"
        )
    }
DATABASES["default"]["CONN_MAX_AGE"] = 0

# High limits so the suite is never throttled; the throttling tests lower them.
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "ip": "100000/min",
    "user": "100000/min",
    "auth": "100000/min",
}

# Every event the suite makes the service write is validated against the catalogue.
OUTBOX_VALIDATE_EVENTS = True

STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# Plain text, warnings and errors only: a test that needs a line raises its logger's level.
LOGGING = logging_settings(style="plain", level=env_str("LOG_LEVEL", "WARNING"))

# Uploads and job results of this run; a worker started by a test is given the same.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or tempfile.mkdtemp(prefix="wallet-test-media-"))
# Jobs run in the caller unless a test asks for a thread or a Celery worker.
JOBS_RUNNER = env_str("TEST_JOBS_RUNNER", "inline")
# The tests' webhook receivers listen on 127.0.0.1; the blocking test turns this off.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
