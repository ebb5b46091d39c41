"""POST wallets/{user}/deposits opens a pending deposit; deposits/{id} shows it."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from core.api import schema as core_schema
from payments.api import schema
from payments.api import serializers as io
from payments.api.access import visible_deposit
from payments.services import deposits
from wallets.api.access import USER_PARAM, AuthenticatedRequest, resolve_owner
from wallets.api.idempotency import idempotent


class DepositCreateView(APIView):
    @extend_schema(
        operation_id="wallet_deposit",
        summary="Add funds: a pending deposit, credited (TOPUP) once the provider confirms",
        parameters=[USER_PARAM, core_schema.IDEMPOTENCY_KEY],
        request=io.DepositInSerializer,
        responses={201: io.DepositSerializer, **schema.WRITE_ERRORS},
        examples=[io.EXAMPLES["deposit"]],
        tags=["deposits"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, user: str) -> Response:
        owner = resolve_owner(request, user, others_need=roles.CREDIT_ANY_WALLET)
        data = io.DepositInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deposit = deposits.create_deposit(
            user=owner, created_by=request.user, **data.validated_data
        )
        return Response(io.DepositSerializer(deposit).data, status=status.HTTP_201_CREATED)


class DepositDetailView(APIView):
    @extend_schema(
        operation_id="deposit_detail",
        parameters=[schema.ID],
        responses={200: io.DepositSerializer, **schema.READ_ERRORS},
        tags=["deposits"],
    )
    def get(self, request: AuthenticatedRequest, id: int) -> Response:
        return Response(io.DepositSerializer(visible_deposit(request, id)).data)
