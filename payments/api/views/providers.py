"""POST providers/{name}/callback: a payment provider reports a deposit's outcome.

No JWT: the provider signs the body (HMAC over timestamp and body, checked by the
provider's `verify_callback`); a stale timestamp is refused and a replayed event id
changes nothing."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import schema as core_schema
from payments.api import schema
from payments.api import serializers as io
from payments.providers.simulated import SIGNATURE_HEADER
from payments.services import deposits

NAME = OpenApiParameter("name", str, OpenApiParameter.PATH, description="e.g. `simulated`.")
SIGNATURE = OpenApiParameter(
    SIGNATURE_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description='`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` under the '
    "provider's secret.",
)


class ProviderCallbackView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="provider_callback",
        summary="A provider confirms or fails a deposit (signed)",
        parameters=[NAME, SIGNATURE],
        request={
            "application/json": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "type": {"type": "string", "enum": ["deposit.succeeded", "deposit.failed"]},
                    "reference": {"type": "string"},
                    "reason": {"type": "string"},
                },
                "required": ["id", "type", "reference"],
            }
        },
        responses={
            200: io.CallbackResultSerializer,
            400: core_schema.BAD_REQUEST,
            403: schema.FORBIDDEN,
            404: core_schema.NOT_FOUND,
            409: schema.CONFLICT,
        },
        tags=["deposits"],
        auth=[],
    )
    def post(self, request: Request, name: str) -> Response:
        body = request.body  # the exact bytes that were signed
        headers = {key: value for key, value in request.headers.items()}
        return Response(deposits.apply_callback(provider_name=name, headers=headers, body=body))
