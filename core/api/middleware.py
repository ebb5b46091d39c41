"""Request plumbing that keeps the API's contract where no view can: the error envelope on
every /api/ response, refused query strings, and lost database connections."""

import logging

from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.api.exceptions import CONNECTION_ERRORS, STATUS_CODES, error_body
from core.api.parsers import storable_text

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# Headers an error response may carry that the client needs, kept when it is rewrapped.
KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")
RETRY_AFTER_SECONDS = 1
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiErrorEnvelopeMiddleware:
    """Every error under /api/ in the JSON envelope, whatever DEBUG is.

    Django answers some errors before or around any view (an unknown path, a refused
    host, an exception escaping a view), as HTML pages, and as its technical debug pages
    when DEBUG is on. Outermost in MIDDLEWARE, this rewraps any such response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            return self._envelope(response)
        return response

    @staticmethod
    def _envelope(response: HttpResponse) -> JsonResponse:
        status = response.status_code
        code = STATUS_CODES.get(status, "error")
        message = response.reason_phrase or code.replace("_", " ").capitalize()
        wrapped = JsonResponse(error_body(code, f"{message}."), status=status)
        for header in KEPT_HEADERS:
            if header in response:
                wrapped[header] = response[header]
        return wrapped


class RejectUnstorableQueryMiddleware:
    """A query string with NUL characters would reach PostgreSQL in a filter: refuse it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(API_PREFIX) and not all(
            storable_text(key) and storable_text(value)
            for key, values in request.GET.lists()
            for value in values
        ):
            return JsonResponse(
                error_body("validation_error", "The query string contains unusable characters."),
                status=400,
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A lost database connection is an infrastructure blip, never a 500.

    The broken connection is closed (a pool discards it) so the next request gets a
    fresh one. A read (GET, HEAD, OPTIONS) is run once more on that fresh connection.
    A write is not: its commit may have happened before the connection broke, so it is
    answered 503 with Retry-After and the client retries with its Idempotency-Key,
    which replays the first outcome if there was one.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CONNECTION_ERRORS):
            return None
        logger.warning("Database connection failed in %s: %s", request.path, exception)
        _discard_connections()
        if request.method in SAFE_METHODS:
            try:
                view, args, kwargs = request.resolver_match
                return view(request, *args, **kwargs)
            except CONNECTION_ERRORS as again:
                logger.warning("Database still unavailable for %s: %s", request.path, again)
                _discard_connections()
        return unavailable()


def unavailable() -> JsonResponse:
    response = JsonResponse(
        error_body("service_unavailable", "The service is briefly unavailable; retry shortly."),
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _discard_connections() -> None:
    """Close every connection outside a transaction; a broken one is not reused."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()
