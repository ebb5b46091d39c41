"""POST wallets/{user}/payments pays for an order (SPEND); payments/?order_id= finds
payments by order; payments/{id}/refunds returns all or part of one (REFUND)."""

from typing import cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from core.api import schema as core_schema
from core.api.pagination import NewestFirst
from payments import selectors
from payments.api import schema
from payments.api import serializers as io
from payments.api.access import require, visible_payment
from payments.services import payments
from wallets.api.access import USER_PARAM, AuthenticatedRequest, resolve_owner, transaction_context
from wallets.api.idempotency import idempotent
from wallets.api.serializers import scaled


class PaymentCreateView(APIView):
    @extend_schema(
        operation_id="wallet_payment",
        summary="Pay for another service's order (SPEND into REVENUE)",
        parameters=[USER_PARAM, core_schema.IDEMPOTENCY_KEY],
        request=io.PaymentInSerializer,
        responses={201: io.PaymentCreatedSerializer, **schema.WRITE_ERRORS},
        examples=[io.EXAMPLES["payment"]],
        tags=["payments"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, user: str) -> Response:
        owner = resolve_owner(request, user, others_need=roles.DEBIT_ANY_WALLET)
        data = io.PaymentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payments.pay(user=owner, initiated_by=request.user, **data.validated_data)
        body = io.PaymentCreatedSerializer(
            payment, context=transaction_context(request, owner)
        ).data
        return Response(body, status=status.HTTP_201_CREATED)


class PaymentFilterSerializer(serializers.Serializer):
    order_id = serializers.CharField(max_length=100, required=False)
    service = serializers.CharField(max_length=64, required=False)


class PaymentListView(generics.ListAPIView):
    serializer_class = io.PaymentSerializer
    pagination_class = NewestFirst
    filter_backends: list = []

    @extend_schema(
        operation_id="payments",
        parameters=[
            OpenApiParameter("order_id", str, description="The order's id in its service."),
            OpenApiParameter("service", str),
        ],
        responses={
            200: io.PaymentSerializer(many=True),
            400: core_schema.BAD_REQUEST,
            **schema.READ_ERRORS,
        },
        tags=["payments"],
    )
    def get(self, request, *args, **kwargs):
        """Payments newest first: the caller's own, or anyone's with view_any_payment."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        request = cast(AuthenticatedRequest, self.request)
        filters = PaymentFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        everyone = request.user.has_perm(roles.VIEW_ANY_PAYMENT)
        return selectors.list_payments(
            user=None if everyone else request.user, **filters.validated_data
        )


class PaymentDetailView(APIView):
    @extend_schema(
        operation_id="payment_detail",
        parameters=[schema.ID],
        responses={200: io.PaymentSerializer, **schema.READ_ERRORS},
        tags=["payments"],
    )
    def get(self, request: AuthenticatedRequest, id: int) -> Response:
        return Response(io.PaymentSerializer(visible_payment(request, id)).data)


class RefundCreateView(APIView):
    @extend_schema(
        operation_id="payment_refund",
        summary="Refund all or part of a payment (REFUND; staff and service)",
        parameters=[schema.ID, core_schema.IDEMPOTENCY_KEY],
        request=io.RefundInSerializer,
        responses={201: io.RefundCreatedSerializer, **schema.WRITE_ERRORS},
        examples=[io.EXAMPLES["refund"]],
        tags=["payments"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, id: int) -> Response:
        payment = visible_payment(request, id)
        require(request, roles.REFUND_PAYMENT)
        data = io.RefundInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = payments.refund(
            payment_id=payment.pk,
            amount=scaled(data.validated_data["amount"], payment.asset),
            reason=data.validated_data["reason"],
            created_by=request.user,
        )
        body = io.RefundCreatedSerializer(
            refund, context=transaction_context(request, payment.user)
        ).data
        return Response(body, status=status.HTTP_201_CREATED)
