"""The wallet API: thin views over wallets.services and ledger.services.

Each write: check who may act on the wallet -> validate the input -> one service
call -> serialise the transaction. Idempotency-Key handling wraps the whole.
"""

from datetime import timedelta
from functools import partial

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.models import User
from core.api import schema
from core.api.pagination import NewestFirst
from ledger import services as ledger
from ledger.models import (
    Asset,
    ConversionRate,
    Entry,
    Hold,
    Transaction,
    TransactionType,
)
from ledger.reference import active_assets
from ledger.selectors import get_transaction_with_entries, get_user_wallets, with_entries
from wallets import services
from wallets.api import serializers as io
from wallets.api.access import may_see, resolve_owner, transaction_context
from wallets.api.filters import HistoryFilter
from wallets.api.idempotency import idempotent
from wallets.selectors import list_history

USER_PARAM = OpenApiParameter("user", str, OpenApiParameter.PATH, description="A user id, or `me`.")
EXPIRY_WINDOW = timedelta(days=30)


def posted(request: Request, owner: User, txn: Transaction) -> Response:
    body = io.TransactionSerializer(
        with_entries(txn), context=transaction_context(request, owner)
    ).data
    return Response(body, status=status.HTTP_201_CREATED)


class WalletView(APIView):
    @extend_schema(
        operation_id="wallet_balances",
        parameters=[USER_PARAM],
        responses={200: io.WalletSerializer, 403: schema.FORBIDDEN, **schema.READ_ERRORS},
        tags=["wallets"],
    )
    def get(self, request: Request, user: str) -> Response:
        """Balances per asset: balance, held, available and what expires in the next 30 days."""
        owner = resolve_owner(request, user, others_need=roles.VIEW_ANY_WALLET)
        expiring_before = timezone.now() + EXPIRY_WINDOW
        wallets = get_user_wallets(user_id=owner.pk, expiring_before=expiring_before)
        if not set(active_assets()) <= {wallet.asset for wallet in wallets}:
            ledger.open_user_accounts(user=owner)  # assets added since signup
            wallets = get_user_wallets(user_id=owner.pk, expiring_before=expiring_before)
        return Response(io.WalletSerializer({"user": owner.pk, "wallets": wallets}).data)


@extend_schema_view(
    get=extend_schema(
        operation_id="wallet_history",
        parameters=[USER_PARAM],
        responses={
            200: io.HistoryRowSerializer(many=True),
            400: schema.BAD_REQUEST,
            403: schema.FORBIDDEN,
            **schema.READ_ERRORS,
        },
        tags=["wallets"],
    )
)
class HistoryView(generics.ListAPIView):
    """The wallet owner's transactions, newest first, one row each with their entries."""

    serializer_class = io.HistoryRowSerializer
    filterset_class = HistoryFilter
    pagination_class = NewestFirst
    queryset = Entry.objects.all()  # what the filters narrow; list_history keeps the owner's

    def list(self, request: Request, user: str) -> Response:
        owner = resolve_owner(request, user, others_need=roles.VIEW_ANY_WALLET)
        filtered = any(name in request.query_params for name in HistoryFilter.base_filters)
        entries = self.filter_queryset(self.get_queryset()) if filtered else None
        page = self.paginator.paginate_keyset(
            partial(list_history, owner=owner, entries=entries), request
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class WalletWriteView(APIView):
    """A POST on wallets/{user}/...: access, input, one service call, the transaction out."""

    input_serializer: type[serializers.Serializer]
    others_need = roles.DEBIT_ANY_WALLET
    self_needs: str | None = None

    @idempotent
    def post(self, request: Request, user: str) -> Response:
        owner = resolve_owner(
            request, user, others_need=self.others_need, self_needs=self.self_needs
        )
        data = self.input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self.perform(request, owner, data.validated_data)

    def perform(self, request: Request, owner: User, data: dict) -> Response:
        raise NotImplementedError


def write_schema(operation_id: str, request, response=io.TransactionSerializer, summary=""):
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


@write_schema("wallet_spend", io.SpendInSerializer, summary="Spend from the wallet (SPEND)")
class SpendView(WalletWriteView):
    input_serializer = io.SpendInSerializer

    def perform(self, request, owner, data):
        return posted(request, owner, services.spend(user=owner, initiated_by=request.user, **data))


@write_schema(
    "wallet_transfer",
    io.TransferInSerializer,
    summary="Transfer a transferable asset to another user (TRANSFER)",
)
class TransferView(WalletWriteView):
    input_serializer = io.TransferInSerializer

    def perform(self, request, owner, data):
        recipient = User.objects.filter(pk=data.pop("to"), is_active=True).first()
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

    def perform(self, request, owner, data):
        txn = services.convert(user=owner, initiated_by=request.user, **data)
        return posted(request, owner, txn)


class CreditView(WalletWriteView):
    """EARN, TOPUP and BONUS: staff or service only, on any wallet including their own."""

    others_need = roles.CREDIT_ANY_WALLET
    self_needs = roles.CREDIT_ANY_WALLET
    credit_type: str

    def perform(self, request, owner, data):
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


@write_schema(
    "wallet_hold",
    io.HoldInSerializer,
    response=io.HoldSerializer,
    summary="Reserve part of the balance (two-phase)",
)
class HoldCreateView(WalletWriteView):
    input_serializer = io.HoldInSerializer
    others_need = roles.HOLD_ANY_WALLET

    def perform(self, request, owner, data):
        hold = services.place_hold(user=owner, created_by=request.user, **data)
        hold = Hold.objects.select_related("account__asset").get(pk=hold.pk)
        return Response(io.HoldSerializer(hold).data, status=status.HTTP_201_CREATED)


def get_hold(request: Request, hold_id: int) -> Hold:
    """A hold the caller may act on: their own, or any with hold_any_wallet (else 404)."""
    hold = Hold.objects.select_related("account__asset").filter(pk=hold_id).first()
    if hold is None or not may_see(
        request, hold.account.user_id, others_need=roles.HOLD_ANY_WALLET
    ):
        raise NotFound()
    return hold


HOLD_PARAM = OpenApiParameter("hold_id", int, OpenApiParameter.PATH)


class HoldDetailView(APIView):
    @extend_schema(
        operation_id="hold_detail",
        parameters=[HOLD_PARAM],
        responses={200: io.HoldSerializer, **schema.READ_ERRORS},
        tags=["holds"],
    )
    def get(self, request: Request, hold_id: int) -> Response:
        return Response(io.HoldSerializer(get_hold(request, hold_id)).data)


class HoldCaptureView(APIView):
    @extend_schema(
        operation_id="hold_capture",
        parameters=[HOLD_PARAM, schema.IDEMPOTENCY_KEY],
        request=io.CaptureInSerializer,
        responses={201: io.TransactionSerializer, **schema.WRITE_ERRORS},
        tags=["holds"],
    )
    @idempotent
    def post(self, request: Request, hold_id: int) -> Response:
        """Debit up to the held amount (CAPTURE); what is not captured is released."""
        hold = get_hold(request, hold_id)
        data = io.CaptureInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amount = data.validated_data.get("amount")
        if amount is not None:
            amount = io.scaled(amount, hold.account.asset)
        txn = ledger.capture_hold(hold_id=hold.pk, amount=amount, initiated_by=request.user)
        return posted(request, hold.account.user, txn)


class HoldVoidView(APIView):
    @extend_schema(
        operation_id="hold_void",
        parameters=[HOLD_PARAM, schema.IDEMPOTENCY_KEY],
        request=None,
        responses={200: io.HoldSerializer, **schema.WRITE_ERRORS},
        tags=["holds"],
    )
    @idempotent
    def post(self, request: Request, hold_id: int) -> Response:
        """Release the hold without moving value."""
        hold = get_hold(request, hold_id)
        ledger.void_hold(hold_id=hold.pk)
        return Response(io.HoldSerializer(get_hold(request, hold_id)).data)


TXN_PARAM = OpenApiParameter("transaction_id", int, OpenApiParameter.PATH)


def get_visible_transaction(request: Request, transaction_id: int) -> Transaction:
    """A transaction with one of the caller's entries, or any with view_any_wallet (else 404)."""
    txn = Transaction.objects.filter(pk=transaction_id)
    if not request.user.has_perm(roles.VIEW_ANY_WALLET):
        txn = txn.filter(entries__account__user=request.user)
    if not txn.exists():
        raise NotFound()
    return get_transaction_with_entries(transaction_id)


class TransactionDetailView(APIView):
    @extend_schema(
        operation_id="transaction_detail",
        parameters=[TXN_PARAM],
        responses={200: io.TransactionSerializer, **schema.READ_ERRORS},
        tags=["transactions"],
    )
    def get(self, request: Request, transaction_id: int) -> Response:
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
    def post(self, request: Request, transaction_id: int) -> Response:
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


class AssetListView(generics.ListAPIView):
    """Public: clients show the catalog before anyone logs in."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = io.AssetSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        operation_id="assets",
        tags=["catalog"],
        responses={200: io.AssetSerializer(many=True), 429: schema.THROTTLED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return Asset.objects.filter(active=True).order_by("code")


class ConversionListView(generics.ListAPIView):
    """Public: clients show the catalog before anyone logs in."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    serializer_class = io.ConversionSerializer
    pagination_class = None
    filter_backends: list = []

    @extend_schema(
        operation_id="conversions",
        tags=["catalog"],
        responses={200: io.ConversionSerializer(many=True), 429: schema.THROTTLED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return ConversionRate.objects.filter(
            active=True, from_asset__active=True, to_asset__active=True
        ).select_related("from_asset", "to_asset")
