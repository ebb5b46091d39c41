"""One error envelope for the whole API: {"error": {"code", "message", "details"}}.

Domain errors carry their own code and status; DRF's and Django's are mapped
to the documented codes. Anything unexpected becomes a JSON 500, logged, never
an HTML page. A lost database connection is left to DatabaseUnavailableMiddleware
(a retry or a 503); errors raised outside any view (an unknown path, a refused
host) are wrapped by ApiErrorEnvelopeMiddleware.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from core.errors import DomainError
from core.observability.metrics import record_refusal

logger = logging.getLogger(__name__)

DRF_CODES: list[tuple[type[Exception], str]] = [
    (exceptions.ValidationError, "validation_error"),
    (exceptions.ParseError, "validation_error"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "not_authenticated"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
]


# The code for an error response that carries no code of its own, by HTTP status.
STATUS_CODES: dict[int, str] = {
    400: "validation_error",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
    500: "internal_error",
    503: "service_unavailable",
}

# Failures of the connection, not of the request: retried or answered 503 by the middleware.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    response = _error_response(exc, context)
    if response is not None:  # counted per code: wallet_refusals_total
        record_refusal(response.data["error"]["code"])
    return response


def _error_response(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, CONNECTION_ERRORS):
        return None  # re-raised by DRF, for DatabaseUnavailableMiddleware
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError("The request is not valid.")
    if isinstance(exc, InvalidToken | TokenError):
        exc = exceptions.AuthenticationFailed("The token is invalid or expired.")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
        return Response(
            error_body("internal_error", "Something went wrong on our side."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    code = next((code for kind, code in DRF_CODES if isinstance(exc, kind)), "error")
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    details: dict = {}
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        message = "The request is not valid."
    else:
        message = str(exc.detail)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
        details = {"retry_after": int(exc.wait)}
    status_code = exc.status_code
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        status_code = status.HTTP_401_UNAUTHORIZED
    return Response(error_body(code, message, details), status=status_code, headers=headers)
