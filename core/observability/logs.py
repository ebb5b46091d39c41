"""Structured logs: structlog, rendered by the standard logging module's one handler.

Every line goes through that handler, structlog's (django-structlog's request lines)
and the standard library's alike (Django, the throttles' fail-open warning, the
database-outage middleware, the relay), so all of them come out in one format: JSON
lines in production, aligned `key=value` text in development and tests. Within a
request each line carries:

- `request_id` (and `ip`): bound by core.observability.middleware.RequestLogMiddleware,
  which also returns the id in X-Request-ID;
- `user_id`: the authenticated user's, read when the line is written, so it is there
  also after a DRF view authenticated a JWT (which happens after every middleware);
- `transaction_id`: once a single posting committed (metrics.record_postings).

Lines are written per request and per event worth noting, never per SQL statement.
"""

import logging
import sys
from contextvars import ContextVar
from typing import Any

import orjson
import structlog
from django.http import HttpRequest
from django.utils.functional import LazyObject
from structlog.typing import EventDict, Processor, WrappedLogger

# The request being served, for add_user_id; set by RequestLogMiddleware.
current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def add_user_id(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """The request's user id, without making anyone load the user.

    A JWT request's user is known only once DRF authenticated it inside the view (it
    then sets it on the request); Django's lazy session user is read only if something
    already loaded it.
    """
    request = current_request.get()
    if request is None or event_dict.get("user_id") is not None:
        return event_dict
    user = request.__dict__.get("user")
    if isinstance(user, LazyObject):
        user = user._wrapped  # `empty` until loaded: no user id then
    event_dict["user_id"] = getattr(user, "pk", None)
    return event_dict


def _orjson_text(value: Any, **_: Any) -> str:
    # orjson is already here for the API's responses; a tenth of json.dumps's time.
    return orjson.dumps(value, default=str).decode()


def _orjson_bytes(value: Any, **_: Any) -> bytes:
    return orjson.dumps(value, default=str)


TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True)
# What a standard library line gets before rendering (structlog's own lines get the
# same from configure_structlog's processors).
FOREIGN_PRE_CHAIN: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    TIMESTAMP,
]


def configure_structlog(*, style: str, level: str) -> None:
    """Where structlog's own lines (django-structlog's request_finished) go.

    In JSON (production) structlog renders them itself and writes each line to stderr
    in one call: a quarter of the CPU of handing them to the standard logging module
    first (measured: about 20 against 80 µs a line), on a line every request writes.
    `level` filters them (LOGGING's per-logger levels do not apply to them).
    Otherwise they go through the standard logging module like every other line.
    """
    if style == "json":
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                TIMESTAMP,
                add_user_id,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(serializer=_orjson_bytes),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(level.upper()),
            logger_factory=structlog.BytesLoggerFactory(sys.stderr.buffer),
            cache_logger_on_first_use=True,
        )
        return
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # first: a dropped line costs nothing more
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            TIMESTAMP,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def renderer(style: str) -> list[Processor]:
    """The formatter's last processors for `json` (production), `console` (development,
    coloured on a terminal) or `plain` (tests: no colours, plain tracebacks)."""
    if style == "json":
        return [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_orjson_text),
        ]
    if style == "console":
        return [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    if style == "plain":
        return [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    raise ValueError(f"unknown log style {style!r}: json, console or plain")


def formatter(style: str) -> structlog.stdlib.ProcessorFormatter:
    """The standard logging module's formatter: renders every line it is handed."""
    return structlog.stdlib.ProcessorFormatter(
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            add_user_id,
            *renderer(style),
        ],
        foreign_pre_chain=FOREIGN_PRE_CHAIN,
    )


def logging_settings(*, style: str, level: str, pika_level: str = "WARNING") -> dict:
    """The LOGGING setting: one stderr handler rendering every logger's lines in `style`.

    In JSON, Python's warnings become log lines too (logger `py.warnings`), so nothing
    else reaches stderr between them.
    """
    configure_structlog(style=style, level=level)
    logging.captureWarnings(style == "json")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": formatter, "style": style}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # pika logs every connection step at INFO; commands print their own summary.
            "pika": {"level": pika_level},
            # Django's own line per 4xx/5xx would repeat django-structlog's request_finished
            # (which has the request id); its 500s with their traceback are kept.
            "django.request": {"level": "ERROR"},
        },
    }
