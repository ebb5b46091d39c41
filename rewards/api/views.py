"""The rewards API: thin views over rewards.services, reading through rewards.selectors.
Every value-moving POST takes an Idempotency-Key and answers 201 with what it created and
the ledger transaction, through one output serializer that the schema names too."""

from typing import cast

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.models import User
from accounts.selectors import get_user
from core.api import schema
from core.api.pagination import NewestFirst
from ledger.selectors import get_transaction_with_entries, with_entries
from rewards import selectors, services
from rewards.api import serializers as io
from rewards.leaderboard import get_leaderboard
from rewards.models import ActivityEvent, CheckIn, Purchase, TaskCompletion
from wallets.api.access import AuthenticatedRequest, transaction_context
from wallets.api.idempotency import idempotent

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


def with_transaction(
    request: AuthenticatedRequest,
    serializer_class: type[serializers.Serializer],
    instance: TaskCompletion | Purchase | CheckIn | ActivityEvent,
    *,
    owner: User,
    status_code: int = status.HTTP_201_CREATED,
) -> Response:
    """`instance` through `serializer_class`, with the transaction it posted and its
    entries (balances shown from the owner's side): as the engine handed them to the
    service when it just posted, else (a replay) read back in one go."""
    posted = type(instance).transaction.is_cached(instance)
    instance.transaction = (
        with_entries(instance.transaction)
        if posted
        else get_transaction_with_entries(instance.transaction_id)
    )
    body = serializer_class(instance, context=transaction_context(request, owner)).data
    return Response(body, status=status_code)


class CatalogView(generics.ListAPIView):
    pagination_class = None
    filter_backends: list = []


def catalog_schema(operation_id: str, serializer: type[serializers.Serializer]):
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            tags=["rewards"],
            responses={200: serializer(many=True), **schema.READ_ERRORS},
        )
    )


@catalog_schema("tasks", io.TaskSerializer)
class TaskListView(CatalogView):
    serializer_class = io.TaskSerializer

    def get_queryset(self):
        return selectors.list_active_tasks()


@catalog_schema("items", io.ItemSerializer)
class ItemListView(CatalogView):
    serializer_class = io.ItemSerializer

    def get_queryset(self):
        return selectors.list_active_items()


@catalog_schema("rewards", io.RewardSerializer)
class RewardListView(CatalogView):
    serializer_class = io.RewardSerializer

    def get_queryset(self):
        return selectors.list_active_rewards()


class TaskCompleteView(APIView):
    @extend_schema(
        operation_id="task_complete",
        parameters=[ID, schema.IDEMPOTENCY_KEY],
        request=None,
        tags=["rewards"],
        responses={201: io.TaskCompletionSerializer, **schema.WRITE_ERRORS},
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, id: int) -> Response:
        """Credit the task's reward (EARN), once per allowed period."""
        done = services.complete_task(task_id=id, user=request.user)
        return with_transaction(request, io.TaskCompletionSerializer, done, owner=request.user)


class ItemBuyView(APIView):
    @extend_schema(
        operation_id="item_buy",
        parameters=[ID, schema.IDEMPOTENCY_KEY],
        request=io.QuantityInSerializer,
        tags=["rewards"],
        responses={
            201: io.PurchaseSerializer,
            **schema.WRITE_ERRORS,
            409: schema.error("Sold out or refused", "sold_out", "Not enough left in stock."),
        },
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, id: int) -> Response:
        """Buy an item (SPEND price x quantity); limited stock sells at most what is left."""
        data = io.QuantityInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        purchase = services.buy_item(item_id=id, user=request.user, **data.validated_data)
        return with_transaction(request, io.PurchaseSerializer, purchase, owner=request.user)


class RewardRedeemView(APIView):
    @extend_schema(
        operation_id="reward_redeem",
        parameters=[ID, schema.IDEMPOTENCY_KEY],
        request=io.QuantityInSerializer,
        tags=["rewards"],
        responses={201: io.RedemptionSerializer, **schema.WRITE_ERRORS},
    )
    @idempotent
    def post(self, request: AuthenticatedRequest, id: int) -> Response:
        """Redeem a reward (REDEEM); vouchers get a unique code, donations go to the cause."""
        data = io.QuantityInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = services.redeem_reward(reward_id=id, user=request.user, **data.validated_data)
        return Response(io.RedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)


class RedemptionListView(generics.ListAPIView):
    serializer_class = io.RedemptionSerializer
    pagination_class = NewestFirst
    filter_backends: list = []

    @extend_schema(
        operation_id="redemptions",
        tags=["rewards"],
        responses={
            200: io.RedemptionSerializer(many=True),
            400: schema.BAD_REQUEST,
            **schema.READ_ERRORS,
        },
    )
    def get(self, request, *args, **kwargs):
        """The caller's redemptions, newest first, with their voucher codes."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.list_redemptions(user=cast(User, self.request.user))  # authenticated


class CheckInView(APIView):
    @extend_schema(
        operation_id="checkin",
        parameters=[schema.IDEMPOTENCY_KEY],
        request=None,
        tags=["rewards"],
        responses={201: io.CheckInSerializer, **schema.WRITE_ERRORS},
    )
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        """The daily check-in; a second one the same day is 409 limit_reached."""
        checkin = services.check_in(user=request.user)
        return with_transaction(request, io.CheckInSerializer, checkin, owner=request.user)


class ActivityEventView(APIView):
    @extend_schema(
        operation_id="activity_event",
        parameters=[schema.IDEMPOTENCY_KEY],
        request=io.ActivityInSerializer,
        tags=["rewards"],
        responses={
            201: io.ActivityEventSerializer,
            200: io.ActivityEventSeenSerializer,
            **schema.WRITE_ERRORS,
        },
    )
    @idempotent
    def post(self, request: AuthenticatedRequest) -> Response:
        """Report activity from another service (service role). The same (event, reference,
        user) again answers 200 with the original transaction and credits nothing."""
        if not request.user.has_perm(roles.REPORT_ACTIVITY):
            raise PermissionDenied()
        data = io.ActivityInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = get_user(user_id=data.validated_data["user"], active_only=True)
        if user is None:
            raise serializers.ValidationError({"user": ["No such user."]})
        activity, new = services.record_activity(
            user=user,
            event=data.validated_data["event"],
            reference=data.validated_data["reference"],
        )
        if new:
            return with_transaction(request, io.ActivityEventSerializer, activity, owner=user)
        return with_transaction(
            request,
            io.ActivityEventSeenSerializer,
            activity,
            owner=user,
            status_code=status.HTTP_200_OK,
        )


class LeaderboardView(APIView):
    @extend_schema(
        operation_id="leaderboard",
        parameters=[io.LeaderboardQuerySerializer],
        responses={
            200: io.LeaderboardRowSerializer(many=True),
            400: schema.BAD_REQUEST,
            **schema.READ_ERRORS,
        },
        tags=["rewards"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """Users ranked by EARN and BONUS credits in the period (cached up to 60 s)."""
        query = io.LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = get_leaderboard(**query.validated_data)
        return Response(io.LeaderboardRowSerializer(rows, many=True).data)
