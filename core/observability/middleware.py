"""Request logging with its id in and out, and the per-route request metrics.

Both sit on every request, so each keeps only what earns its cost (measured with
bench/profile_request.py; see the README's Observability section).
"""

import re
import uuid
from collections.abc import Callable
from timeit import default_timer
from typing import cast

import structlog
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django_prometheus.conf import NAMESPACE, PROMETHEUS_LATENCY_BUCKETS
from django_prometheus.middleware import Metrics
from django_structlog.middlewares import RequestMiddleware
from prometheus_client import Counter, Histogram
from rest_framework.settings import api_settings

from core.observability.logs import current_request

# django-structlog's own logger name, so levels set for it still apply.
request_logger = structlog.get_logger("django_structlog.middlewares.request")

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy or a client may pass in: a UUID, a trace id, a short token. Anything else
# (too long, spaces, quotes, control characters) would put the caller's text into every
# log line and response of the request, so it is replaced by a new UUID.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class RequestLogMiddleware(RequestMiddleware):
    """django-structlog's request logging, with the request id kept from X-Request-ID.

    An incoming X-Request-ID (from a proxy or the caller) is kept when it is well formed,
    so one id follows a request across services; otherwise a UUID is made. It is bound
    to every log line of the request and returned in X-Request-ID. Outermost in
    MIDDLEWARE, so every response carries it, errors included.

    From django-structlog: one `request_finished` line per request with its status
    (a `request_failed` line with the traceback for an unhandled error), and the log
    context cleared after it. Left out of its per-request work, for CPU: the
    `request_started` line, ipware's scan of a dozen headers for the client address
    (`ip` is the address the rate limits see instead: REMOTE_ADDR, or X-Forwarded-For
    behind NUM_PROXIES proxies) and the loading of the user for the log (the user id is
    read when a line is written, core.observability.logs.add_user_id).
    """

    sync_capable = True
    async_capable = False  # the rest of MIDDLEWARE is sync too

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get(META_KEY, "")
        request_id = incoming if WELL_FORMED.fullmatch(incoming) else str(uuid.uuid4())
        token = current_request.set(request)
        try:
            structlog.contextvars.bind_contextvars(
                request_id=request_id, ip=client_address(request)
            )
            response = cast(HttpResponse, self.get_response(request))  # sync only
            self.handle_response(request, response)  # logs request_finished, clears context
        except BaseException:
            structlog.contextvars.clear_contextvars()  # nothing of it on the next request
            raise
        finally:
            current_request.reset(token)
        response[HEADER] = request_id
        return response

    def handle_response(self, request: HttpRequest, response: HttpResponse) -> None:
        """django-structlog's, without two things no response here needs: its
        bind_extra_request_finished_metadata signal (nothing connects to it) and the copy
        of the log context it keeps for a streaming response (which still gets them)."""
        if hasattr(request, "_raised_exception") or isinstance(response, StreamingHttpResponse):
            super().handle_response(request, response)
            return
        request_logger.log(
            self._log_level_for_status_code(response.status_code),
            "request_finished",
            code=response.status_code,
            request=self.format_request(request),
        )
        structlog.contextvars.clear_contextvars()

    @staticmethod
    def bind_user_id(request: HttpRequest) -> None:
        """Loads nothing: add_user_id reads the user, if known, when a line is written."""


def client_address(request: HttpRequest) -> str | None:
    """The client's address as the rate limits see it (DRF's BaseThrottle.get_ident, read
    from META: building request.headers for it alone would cost more than the rest)."""
    meta = request.META
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    proxies = api_settings.NUM_PROXIES
    if proxies is None:
        return "".join(forwarded.split()) if forwarded else meta.get("REMOTE_ADDR")
    if proxies == 0 or forwarded is None:
        return meta.get("REMOTE_ADDR")
    addresses = forwarded.split(",")
    return addresses[-min(proxies, len(addresses))].strip()


# Every method Django can route; anything else is one label, not one per made-up verb.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"})
UNKNOWN_ROUTE = "<unnamed view>"


class RouteMetrics(Metrics):
    """The four of django-prometheus's request metrics this service records, under its
    names, buckets (PROMETHEUS_LATENCY_BUCKETS) and namespace, so dashboards made for it
    work. Its others are sums of these, body-size histograms or counts by template or
    charset: a few microseconds each on every request, and lines of zeros on /metrics."""

    def register(self) -> None:
        self.requests_latency_by_view_method = self.register_metric(
            Histogram,
            "django_http_requests_latency_seconds_by_view_method",
            "Histogram of request processing time labelled by view.",
            ["view", "method"],
            buckets=PROMETHEUS_LATENCY_BUCKETS,
            namespace=NAMESPACE,
        )
        self.responses_by_status_view_method = self.register_metric(
            Counter,
            "django_http_responses_total_by_status_view_method",
            "Count of responses by status, view, method.",
            ["status", "view", "method"],
            namespace=NAMESPACE,
        )
        self.exceptions_by_type = self.register_metric(
            Counter,
            "django_http_exceptions_total_by_type",
            "Count of exceptions by object type.",
            ["type"],
            namespace=NAMESPACE,
        )
        self.exceptions_by_view = self.register_metric(
            Counter,
            "django_http_exceptions_total_by_view",
            "Count of exceptions by view.",
            ["view"],
            namespace=NAMESPACE,
        )


class RouteMetricsMiddleware:
    """Each route's latency and responses by status, labelled by route, never by raw path.

    `view` is the URL name (`wallet-spend`), `<unnamed view>` for a path no route matched;
    `method` is a known method or `<invalid method>`, so no client can add label values
    without end (django-prometheus's own middleware labels latency with the raw method).
    Innermost in MIDDLEWARE: the time is the view's, URL resolution included.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.metrics = RouteMetrics.get_instance()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = default_timer()
        response = self.get_response(request)
        view, method = _route(request)
        self.metrics.responses_by_status_view_method.labels(
            status=str(response.status_code), view=view, method=method
        ).inc()
        self.metrics.requests_latency_by_view_method.labels(view=view, method=method).observe(
            default_timer() - started
        )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        view, _ = _route(request)
        self.metrics.exceptions_by_type.labels(type=type(exception).__name__).inc()
        self.metrics.exceptions_by_view.labels(view=view).inc()


def _route(request: HttpRequest) -> tuple[str, str]:
    match = request.resolver_match
    view = (match.view_name if match else None) or UNKNOWN_ROUTE
    method = request.method if request.method in KNOWN_METHODS else "<invalid method>"
    return view, method
