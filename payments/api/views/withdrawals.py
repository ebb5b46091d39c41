"""POST wallets/{user}/withdrawals holds the amount and opens a withdrawal;
withdrawals/{id} shows it (account number masked); cancel (owner); approve and reject
(a second staff member, through the approval queue); send, complete and fail (staff)."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from core.api import schema as core_schema
from payments import selectors
from payments.api import schema
from payments.api import serializers as io
from payments.api.access import require, visible_withdrawal
from payments.models import Withdrawal
from payments.services import approvals, withdrawals
from wallets.api.access import USER_PARAM, AuthenticatedRequest, resolve_owner
from wallets.api.idempotency import idempotent


def _shown(withdrawal_id: int, code: int = status.HTTP_200_OK) -> Response:
    return Response(
        io.WithdrawalSerializer(selectors.get_withdrawal(withdrawal_id=withdrawal_id)).data,
        status=code,
    )


class WithdrawalCreateView(APIView):
    @extend_schema(
        operation_id="wallet_withdrawal",
        summary="Withdraw to a bank account: the amount is held at once",
        parameters=[USER_PARAM, core_schema.IDEMPOTENCY_KEY],
        request=io.WithdrawalInSerializer,
        responses={201: io.WithdrawalSerializer, **schema.WRITE_ERRORS},
        examples=[io.EXAMPLES["withdrawal"]],
        tags=["withdrawals"],
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, user: str) -> Response:
        owner = resolve_owner(request, user, others_need=roles.DEBIT_ANY_WALLET)
        data = io.WithdrawalInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        withdrawal = withdrawals.request_withdrawal(
            user=owner,
            asset=fields["asset"],
            amount=fields["amount"],
            account_number=fields["destination"]["account_number"],
            bank_name=fields["destination"]["bank_name"],
            requested_by=request.user,
        )
        return _shown(withdrawal.pk, status.HTTP_201_CREATED)


class WithdrawalDetailView(APIView):
    @extend_schema(
        operation_id="withdrawal_detail",
        parameters=[schema.ID],
        responses={200: io.WithdrawalSerializer, **schema.READ_ERRORS},
        tags=["withdrawals"],
    )
    def get(self, request: AuthenticatedRequest, id: int) -> Response:
        return Response(io.WithdrawalSerializer(visible_withdrawal(request, id)).data)


class WithdrawalActionView(APIView):
    """POST withdrawals/{id}/<action>: one transition of the state machine."""

    input_serializer: type[serializers.Serializer] | None = None

    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        raise NotImplementedError

    @idempotent
    def post(self, request: AuthenticatedRequest, id: int) -> Response:
        withdrawal = visible_withdrawal(request, id)
        data: dict = {}
        if self.input_serializer is not None:
            given = self.input_serializer(data=request.data)
            given.is_valid(raise_exception=True)
            data = dict(given.validated_data)
        self.act(request, withdrawal, data)
        return _shown(withdrawal.pk)


def action_schema(operation_id: str, summary: str, request=None) -> Callable:
    """The schema of one action's (inherited) post."""
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            parameters=[schema.ID, core_schema.IDEMPOTENCY_KEY],
            request=request,
            responses={200: io.WithdrawalSerializer, **schema.WRITE_ERRORS},
            tags=["withdrawals"],
        )
    )


@action_schema("withdrawal_cancel", "Cancel before it is sent (the owner); the hold is released")
class WithdrawalCancelView(WithdrawalActionView):
    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        if withdrawal.user_id != request.user.pk:
            raise PermissionDenied("Only the wallet's owner cancels a withdrawal.")
        withdrawals.cancel_withdrawal(withdrawal_id=withdrawal.pk)


@action_schema(
    "withdrawal_approve",
    "Approve (a second staff member, never the requester)",
    io.NoteInSerializer,
)
class WithdrawalApproveView(WithdrawalActionView):
    input_serializer = io.NoteInSerializer

    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        approvals.approve(
            request_id=withdrawal.approval.pk, decided_by=request.user, note=data["reason"]
        )


@action_schema(
    "withdrawal_reject", "Reject (reason required); the hold is released", io.ReasonInSerializer
)
class WithdrawalRejectView(WithdrawalActionView):
    input_serializer = io.ReasonInSerializer

    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        approvals.reject(
            request_id=withdrawal.approval.pk, decided_by=request.user, reason=data["reason"]
        )


@action_schema("withdrawal_send", "Hand an approved withdrawal to the provider (staff)")
class WithdrawalSendView(WithdrawalActionView):
    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        require(request, roles.MANAGE_WITHDRAWALS)
        withdrawals.send_withdrawal(withdrawal_id=withdrawal.pk)


@action_schema("withdrawal_complete", "The payout arrived: capture the hold into PAYOUT (staff)")
class WithdrawalCompleteView(WithdrawalActionView):
    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        require(request, roles.MANAGE_WITHDRAWALS)
        withdrawals.complete_withdrawal(withdrawal_id=withdrawal.pk, completed_by=request.user)


@action_schema(
    "withdrawal_fail", "The payout failed: the hold is released (staff)", io.ReasonInSerializer
)
class WithdrawalFailView(WithdrawalActionView):
    input_serializer = io.ReasonInSerializer

    def act(self, request: AuthenticatedRequest, withdrawal: Withdrawal, data: dict) -> None:
        require(request, roles.MANAGE_WITHDRAWALS)
        withdrawals.fail_withdrawal(withdrawal_id=withdrawal.pk, reason=data["reason"])
