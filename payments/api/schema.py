"""OpenAPI pieces of the money-in-and-out endpoints: their error responses, with an
example per code a client must handle."""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from core.api import schema
from core.api.schema import ErrorSerializer


def _errors(description: str, *codes: tuple[str, str]) -> OpenApiResponse:
    return OpenApiResponse(
        ErrorSerializer,
        description=description,
        examples=[
            OpenApiExample(code, value={"error": {"code": code, "message": message, "details": {}}})
            for code, message in codes
        ],
    )


INVALID_STATE = ("invalid_state", "A withdrawal completed cannot become cancelled.")
CONFLICT = _errors(
    "Refused: a transition the state machine does not allow, or by the ledger",
    INVALID_STATE,
    ("approval_required", "A second staff member must approve this first."),
    ("refund_exceeds_payment", "The refund would exceed what was paid."),
    ("limit_reached", "The daily withdrawal limit for this asset would be exceeded."),
    ("insufficient_funds", "The wallet does not have enough available funds."),
    ("idempotency_key_reused", "This idempotency key was already used for a different request."),
)
FORBIDDEN = _errors(
    "Not allowed",
    ("permission_denied", "You do not have permission to do this."),
    ("self_approval", "The requester cannot approve their own request."),
)
WRITE_ERRORS = {**schema.WRITE_ERRORS, 403: FORBIDDEN, 409: CONFLICT}
READ_ERRORS = schema.READ_ERRORS

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
