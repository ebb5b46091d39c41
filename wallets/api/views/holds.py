"""Two-phase holds: POST wallets/{user}/holds places one; holds/{id} shows it, and its
capture and void resolve it."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.models import User
from core.api import schema
from ledger import services as ledger
from ledger.models import Hold
from ledger.selectors import get_hold
from wallets import services
from wallets.api import serializers as io
from wallets.api.access import AuthenticatedRequest, may_see
from wallets.api.idempotency import idempotent
from wallets.api.writes import WalletWriteView, posted, write_schema

HOLD_PARAM = OpenApiParameter("hold_id", int, OpenApiParameter.PATH)


@write_schema(
    "wallet_hold",
    io.HoldInSerializer,
    response=io.HoldSerializer,
    summary="Reserve part of the balance (two-phase)",
)
class HoldCreateView(WalletWriteView):
    input_serializer = io.HoldInSerializer
    others_need = roles.HOLD_ANY_WALLET

    def perform(self, request: AuthenticatedRequest, owner: User, data: dict) -> Response:
        hold = services.place_hold(user=owner, created_by=request.user, **data)
        return Response(
            io.HoldSerializer(get_hold(hold_id=hold.pk)).data, status=status.HTTP_201_CREATED
        )


def get_visible_hold(request: AuthenticatedRequest, hold_id: int) -> Hold:
    """A hold the caller may act on: their own, or any with hold_any_wallet (else 404)."""
    hold = get_hold(hold_id=hold_id)
    if hold is None or not may_see(
        request, hold.account.user_id, others_need=roles.HOLD_ANY_WALLET
    ):
        raise NotFound()
    return hold


class HoldDetailView(APIView):
    @extend_schema(
        operation_id="hold_detail",
        parameters=[HOLD_PARAM],
        responses={200: io.HoldSerializer, **schema.READ_ERRORS},
        tags=["holds"],
    )
    def get(self, request: AuthenticatedRequest, hold_id: int) -> Response:
        return Response(io.HoldSerializer(get_visible_hold(request, hold_id)).data)


class HoldCaptureView(APIView):
    @extend_schema(
        operation_id="hold_capture",
        parameters=[HOLD_PARAM, schema.IDEMPOTENCY_KEY],
        request=io.CaptureInSerializer,
        responses={201: io.TransactionSerializer, **schema.WRITE_ERRORS},
        tags=["holds"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, hold_id: int) -> Response:
        """Debit up to the held amount (CAPTURE); what is not captured is released."""
        hold = get_visible_hold(request, hold_id)
        data = io.CaptureInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data.get("amount")
        if amount is not None:
            amount = io.scaled(amount, hold.account.asset)
        txn = ledger.capture_hold(hold_id=hold.pk, amount=amount, initiated_by=request.user)
        owner = hold.account.user
        assert owner is not None  # a hold is only ever on a user's wallet
        return posted(request, owner, txn)


class HoldVoidView(APIView):
    @extend_schema(
        operation_id="hold_void",
        parameters=[HOLD_PARAM, schema.IDEMPOTENCY_KEY],
        request=None,
        responses={200: io.HoldSerializer, **schema.WRITE_ERRORS},
        tags=["holds"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, hold_id: int) -> Response:
        """Release the hold without moving value."""
        hold = get_visible_hold(request, hold_id)
        ledger.void_hold(hold_id=hold.pk)
        return Response(io.HoldSerializer(get_visible_hold(request, hold_id)).data)
