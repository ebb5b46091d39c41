"""What the wallet API's value-moving POSTs share: the base view of wallets/{user}/...,
its schema, and the 201 with the transaction. Here rather than in a view module, since
view modules never import each other."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.models import User
from core.api import schema
from ledger.models import Transaction
from ledger.selectors import with_entries
from wallets.api import serializers as io
from wallets.api.access import (
    USER_PARAM,
    AuthenticatedRequest,
    resolve_owner,
    transaction_context,
)
from wallets.api.idempotency import idempotent


def posted(request: AuthenticatedRequest, owner: User, txn: Transaction) -> Response:
    """201 with the transaction, balances shown from the owner's side."""
    body = io.TransactionSerializer(
        with_entries(txn), context=transaction_context(request, owner)
    ).data
    return Response(body, status=status.HTTP_201_CREATED)


class WalletWriteView(APIView):
    """A POST on wallets/{user}/...: access, input, one service call, the transaction out."""

    input_serializer: type[serializers.Serializer]
    others_need = roles.DEBIT_ANY_WALLET
    self_needs: str | None = None

    @idempotent
    def post(self, request: AuthenticatedRequest, user: str) -> Response:
        owner = resolve_owner(
            request, user, others_need=self.others_need, self_needs=self.self_needs
        )
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.perform(request, owner, data.validated_data)

    def perform(self, request: AuthenticatedRequest, owner: User, data: dict) -> Response:
        raise NotImplementedError


def write_schema(
    operation_id: str,
    request: type[serializers.Serializer],
    response: type[serializers.Serializer] = io.TransactionSerializer,
    summary: str = "",
):
    """The schema of a WalletWriteView: its input, a 201 with `response`, the write errors."""
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            request=request,
            parameters=[USER_PARAM, schema.IDEMPOTENCY_KEY],
            responses={201: response, **schema.WRITE_ERRORS},
            tags=["wallets"],
        )
    )
