"""transactions/{id}: one transaction, and its reversal (staff)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from core.api import schema
from ledger import services as ledger
from ledger.models import Transaction
from wallets.api import serializers as io
from wallets.api.access import AuthenticatedRequest, transaction_context
from wallets.api.idempotency import idempotent
from wallets.api.writes import posted
from wallets.selectors import get_user_transaction

TXN_PARAM = OpenApiParameter("transaction_id", int, OpenApiParameter.PATH)


def get_visible_transaction(request: AuthenticatedRequest, transaction_id: int) -> Transaction:
    """A transaction with one of the caller's entries, or any with view_any_wallet (else 404)."""
    sees_all = request.user.has_perm(roles.VIEW_ANY_WALLET)
    txn = get_user_transaction(
        transaction_id=transaction_id, user_id=None if sees_all else request.user.pk
    )
    if txn is None:
        raise NotFound()
    return txn


class TransactionDetailView(APIView):
    @extend_schema(
        operation_id="transaction_detail",
        parameters=[TXN_PARAM],
        responses={200: io.TransactionSerializer, **schema.READ_ERRORS},
        tags=["transactions"],
    )
    def get(self, request: AuthenticatedRequest, transaction_id: int) -> Response:
        txn = get_visible_transaction(request, transaction_id)
        return Response(
            io.TransactionSerializer(txn, context=transaction_context(request, request.user)).data
        )


class ReverseView(APIView):
    @extend_schema(
        operation_id="transaction_reverse",
        parameters=[TXN_PARAM, schema.IDEMPOTENCY_KEY],
        request=io.ReverseInSerializer,
        responses={201: io.TransactionSerializer, **schema.WRITE_ERRORS},
        tags=["transactions"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, transaction_id: int) -> Response:
        """Post the exact opposite of a transaction (REVERSAL). Staff only; once per transaction."""
        if not request.user.has_perm(roles.REVERSE_TRANSACTION):
            get_visible_transaction(request, transaction_id)  # 404 when not theirs to see
            raise PermissionDenied()
        data = io.ReverseInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        txn = ledger.reverse_transaction(
            transaction_id=transaction_id,
            reason=data.validated_data["reason"],
            initiated_by=request.user,
        )
        return posted(request, request.user, txn)
