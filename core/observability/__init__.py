"""Seeing the service run: structured logs, Prometheus metrics, optional Sentry.

logs.py (structlog through the standard logging module: one request id, user id and
transaction id on every line), middleware.py (request
logging with its id in and out, per-route metrics), metrics.py
(the service's own counters and gauges), views.py (/metrics behind a token or a staff
session), sentry.py (error reporting when SENTRY_DSN is set). Like the rest of core/,
nothing here imports an app: the ledger calls in (record_postings) and config wires
the outbox collector, which the ledger owns.
"""
