"""POST wallets/{user}/ spend, transfer, convert, earn, topup and bonus: each moves value
in one service call and answers 201 with the transaction."""

from rest_framework import serializers
from rest_framework.response import Response

from accounts import roles
from accounts.models import User
from accounts.selectors import get_user
from ledger.models import TransactionType
from wallets import services
from wallets.api import serializers as io
from wallets.api.access import AuthenticatedRequest
from wallets.api.writes import WalletWriteView, posted, write_schema


@write_schema("wallet_spend", io.SpendInSerializer, summary="Spend from the wallet (SPEND)")
class SpendView(WalletWriteView):
    input_serializer = io.SpendInSerializer

    def perform(self, request: AuthenticatedRequest, owner: User, data: dict) -> Response:
        return posted(request, owner, services.spend(user=owner, initiated_by=request.user, **data))


@write_schema(
    "wallet_transfer",
    io.TransferInSerializer,
    summary="Transfer a transferable asset to another user (TRANSFER)",
)
class TransferView(WalletWriteView):
    input_serializer = io.TransferInSerializer

    def perform(self, request: AuthenticatedRequest, owner: User, data: dict) -> Response:
        recipient = get_user(user_id=data.pop("to"), active_only=True)
        if recipient is None:
            raise serializers.ValidationError({"to": ["No such user."]})
        txn = services.transfer(
            sender=owner, recipient=recipient, initiated_by=request.user, **data
        )
        return posted(request, owner, txn)


@write_schema(
    "wallet_convert",
    io.ConvertInSerializer,
    summary="Convert between assets at the published rate (CONVERT)",
)
class ConvertView(WalletWriteView):
    input_serializer = io.ConvertInSerializer

    def perform(self, request: AuthenticatedRequest, owner: User, data: dict) -> Response:
        txn = services.convert(user=owner, initiated_by=request.user, **data)
        return posted(request, owner, txn)


class CreditView(WalletWriteView):
    """EARN, TOPUP and BONUS: staff or service only, on any wallet including their own."""

    others_need = roles.CREDIT_ANY_WALLET
    self_needs = roles.CREDIT_ANY_WALLET
    credit_type: str

    def perform(self, request: AuthenticatedRequest, owner: User, data: dict) -> Response:
        txn = services.credit_wallet(
            user=owner, type=self.credit_type, initiated_by=request.user, **data
        )
        return posted(request, owner, txn)


@write_schema("wallet_earn", io.EarnInSerializer, summary="Credit earned rewards (EARN)")
class EarnView(CreditView):
    input_serializer = io.EarnInSerializer
    credit_type = TransactionType.EARN


@write_schema("wallet_topup", io.TopupInSerializer, summary="Top up from the treasury (TOPUP)")
class TopupView(CreditView):
    input_serializer = io.TopupInSerializer
    credit_type = TransactionType.TOPUP


@write_schema("wallet_bonus", io.BonusInSerializer, summary="Grant a bonus (BONUS)")
class BonusView(CreditView):
    input_serializer = io.BonusInSerializer
    credit_type = TransactionType.BONUS
