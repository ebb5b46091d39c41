"""The service's own metrics, next to django-prometheus's per-route request metrics.

Under gunicorn every worker is a process with its own counters: with
PROMETHEUS_MULTIPROC_DIR set (the Dockerfile sets it) prometheus_client keeps them in
files there and /metrics adds up every worker's. The variable must be set before
prometheus_client is first imported, so it comes from the environment, not settings.
"""

import time
from collections import Counter as Tally
from collections.abc import Iterable
from functools import partial
from typing import Any

import structlog
from django.db import connections
from django.db import transaction as db_transaction
from prometheus_client import Counter, Gauge

from core.observability.logs import current_request

POSTINGS = Counter(
    "wallet_postings", "Transactions posted (committed), by transaction type.", ["type"]
)
REFUSALS = Counter(
    "wallet_refusals",
    "API requests answered with an error, by the envelope's error code.",
    ["code"],
)
# Summed over live workers: a dead worker's figures leave with it (config/gunicorn.py).
DB_POOL_OPEN = Gauge(
    "wallet_db_pool_open_connections",
    "Connections the workers' database pools hold open.",
    multiprocess_mode="livesum",
)
DB_POOL_IDLE = Gauge(
    "wallet_db_pool_idle_connections",
    "Open pool connections no request is using.",
    multiprocess_mode="livesum",
)
DB_POOL_WAITING = Gauge(
    "wallet_db_pool_waiting_requests",
    "Requests waiting for a pool connection.",
    multiprocess_mode="livesum",
)
DB_POOL_MAX = Gauge(
    "wallet_db_pool_max_connections",
    "The pools' size limit (DB_POOL_MAX_SIZE per worker).",
    multiprocess_mode="livesum",
)


def record_postings(transactions: Iterable[Any]) -> None:
    """Called by the posting engine with the transactions it wrote: once they commit,
    count them by type and, for a request's single posting, put its id on the request's
    remaining log lines (not on a command's: its next lines are about other work)."""
    posted = [(txn.type, txn.pk) for txn in transactions]
    db_transaction.on_commit(partial(_committed, posted))


def _committed(posted: list[tuple[str, int]]) -> None:
    for type, count in Tally(type for type, _ in posted).items():
        POSTINGS.labels(type=type).inc(count)
    if len(posted) == 1 and current_request.get() is not None:
        structlog.contextvars.bind_contextvars(transaction_id=posted[0][1])


def record_refusal(code: str) -> None:
    REFUSALS.labels(code=code).inc()


# Pool figures change with every request; reading them once a second per worker is
# enough for a scrape every few seconds and costs nothing measurable per request.
POOL_SAMPLE_SECONDS = 1.0
_last_pool_sample = 0.0


def sample_db_pool(**_: Any) -> None:
    """A request_finished receiver: this worker's pool figures, at most once a second."""
    global _last_pool_sample
    now = time.monotonic()
    if now - _last_pool_sample < POOL_SAMPLE_SECONDS:
        return
    _last_pool_sample = now
    pool = getattr(connections["default"], "pool", None)
    if pool is None:  # SQLite, or ?pool=0
        return
    stats = pool.get_stats()
    DB_POOL_OPEN.set(stats["pool_size"])
    DB_POOL_IDLE.set(stats["pool_available"])
    DB_POOL_WAITING.set(stats.get("requests_waiting", 0))
    DB_POOL_MAX.set(stats["pool_max"])
