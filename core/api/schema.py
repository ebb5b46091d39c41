"""Shared OpenAPI pieces: the error envelope and the responses every endpoint documents."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error(description: str, code: str, message: str) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(code, value={"error": {"code": code, "message": message, "details": {}}})
        ],
    )


BAD_REQUEST = error("Invalid input", "validation_error", "The request is not valid.")
UNAUTHENTICATED = error("Missing or invalid token", "not_authenticated", "The token is invalid.")
FORBIDDEN = error("Not allowed", "permission_denied", "You do not have permission to do this.")
NOT_FOUND = error("No such resource (or not yours)", "not_found", "Not found.")
CONFLICT = error(
    "Refused by the ledger: insufficient_funds, wallet_frozen, asset_not_transferable, "
    "limit_reached, hold_not_pending, capture_exceeds_hold, already_reversed or "
    "idempotency_key_reused",
    "insufficient_funds",
    "The wallet does not have enough available funds.",
)
THROTTLED = error("Too many requests", "throttled", "Request was throttled.")

READ_ERRORS = {401: UNAUTHENTICATED, 404: NOT_FOUND, 429: THROTTLED}
WRITE_ERRORS = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
    429: THROTTLED,
}

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Replays return the first response with `Idempotent-Replayed: true`; the "
    "same key with another request answers 409 `idempotency_key_reused`.",
)
