"""GET /metrics for Prometheus, never open to the public.

A scraper sends `Authorization: Bearer <METRICS_TOKEN>`; a staff member signed in to
the admin may open it in a browser. Without either: 401 (no credentials) or 403 (wrong
token, or a signed-in user who is not staff). With METRICS_TOKEN unset only staff get
in, so no setting ever serves it unprotected.
"""

import hmac
import os
from collections.abc import Iterable

import prometheus_client
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.registry import Collector

from core.api.exceptions import error_body


def metrics_view(collectors: Iterable[Collector] = ()):
    """The /metrics view: every worker's metrics plus `collectors`, read at scrape time
    (queries such as the outbox backlog, run once per scrape rather than per request)."""
    collectors = tuple(collectors)

    @never_cache
    def metrics(request: HttpRequest) -> HttpResponse:
        refused = _refusal(request)
        if refused is not None:
            return refused
        registry = CollectorRegistry(auto_describe=False)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiprocess.MultiProcessCollector(registry)  # every gunicorn worker's files
        else:
            registry.register(_DefaultRegistry())
        for collector in collectors:
            registry.register(collector)
        return HttpResponse(
            prometheus_client.generate_latest(registry),
            content_type=prometheus_client.CONTENT_TYPE_LATEST,
        )

    return metrics


class _DefaultRegistry(Collector):
    """This process's metrics (no multiprocess directory: runserver, tests, one worker)."""

    def collect(self):
        return prometheus_client.REGISTRY.collect()


def _refusal(request: HttpRequest) -> JsonResponse | None:
    token = settings.METRICS_TOKEN
    scheme, _, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer" and presented:
        if token and hmac.compare_digest(presented.strip().encode(), token.encode()):
            return None
        return _error(403, "permission_denied", "The metrics token is not valid.")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.is_active and user.is_staff:
            return None
        return _error(403, "permission_denied", "Metrics are for staff.")
    response = _error(401, "not_authenticated", "Send the metrics token as a Bearer token.")
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status)
