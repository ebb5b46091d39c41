"""Notifications (the caller's own) and webhook subscriptions (manage_webhooks holders)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import schema
from core.api.pagination import NewestFirst
from core.errors import NotFound
from integrations import selectors, services
from integrations.api import serializers as io
from integrations.models import WebhookSubscription
from integrations.roles import MANAGE_WEBHOOKS
from integrations.webhooks import services as webhooks
from integrations.webhooks.selectors import subscriptions_visible_to
from wallets.api.access import AuthenticatedRequest

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
ACCEPT_LANGUAGE = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The language of `message`: en (default) or de.",
)


def in_language(request: Request, body: Callable[[], Any]) -> Response:
    """A response whose messages are written in the request's Accept-Language (one of
    LANGUAGES; else English)."""
    language = translation.get_language_from_request(request)
    with translation.override(language):
        response = Response(body())
    response["Content-Language"] = language
    response["Vary"] = "Accept-Language"
    return response


class NotificationListView(APIView):
    @extend_schema(
        operation_id="notifications",
        parameters=[
            ACCEPT_LANGUAGE,
            OpenApiParameter("cursor", str, description="From a page's next or previous link."),
            OpenApiParameter("limit", int, description="Page size, 1-200 (default 50)."),
        ],
        responses={
            200: io.NotificationPageSerializer,
            400: schema.BAD_REQUEST,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },  # fmt: skip
        tags=["notifications"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """The caller's notifications, newest first, in cursor pages (`limit`, 1-200)."""
        paginator = NewestFirst()
        page = paginator.paginate_queryset(
            selectors.list_notifications(user_id=request.user.pk), request, view=self
        )
        unread = selectors.count_unread(user_id=request.user.pk)
        return in_language(
            request,
            lambda: {
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "unread": unread,
                "results": io.NotificationSerializer(page, many=True).data,
            },
        )


class NotificationReadView(APIView):
    @extend_schema(
        operation_id="notification_read",
        parameters=[ID, ACCEPT_LANGUAGE],
        request=None,
        responses={200: io.NotificationSerializer, **schema.READ_ERRORS},
        tags=["notifications"],
    )
    def post(self, request: AuthenticatedRequest, id: int) -> Response:
        """Mark one of the caller's notifications read (again: no change)."""
        notification = services.mark_read(user_id=request.user.pk, notification_id=int(id))
        return in_language(request, lambda: io.NotificationSerializer(notification).data)


class NotificationReadAllView(APIView):
    @extend_schema(
        operation_id="notifications_read_all",
        request=None,
        responses={
            200: io.ReadAllSerializer,
            401: schema.UNAUTHENTICATED,
            429: schema.THROTTLED,
        },  # fmt: skip
        tags=["notifications"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        marked = services.mark_all_read(user_id=request.user.pk)
        return Response({"marked": marked, "unread": 0})


class ManagesWebhooks(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return bool(request.user and request.user.has_perm(MANAGE_WEBHOOKS))


def visible_subscription(request: AuthenticatedRequest, id: int) -> WebhookSubscription:
    subscription = subscriptions_visible_to(request.user).filter(pk=id).first()
    if subscription is None:
        raise NotFound("No such subscription.")
    return subscription


class SubscriptionListView(APIView):
    permission_classes = [ManagesWebhooks]

    @extend_schema(
        operation_id="webhook_subscriptions",
        responses={
            200: io.SubscriptionSerializer(many=True),
            403: schema.FORBIDDEN,
            **schema.READ_ERRORS,
        },  # fmt: skip
        tags=["webhooks"],
    )
    def get(self, request: AuthenticatedRequest) -> Response:
        """Staff see every subscription; a service account those it created."""
        subscriptions: QuerySet = subscriptions_visible_to(request.user)
        return Response(io.SubscriptionSerializer(subscriptions, many=True).data)

    @extend_schema(
        operation_id="webhook_subscription_create",
        request=io.SubscriptionInSerializer,
        responses={201: io.CreatedSubscriptionSerializer, **schema.WRITE_ERRORS},
        tags=["webhooks"],
    )
    def post(self, request: AuthenticatedRequest) -> Response:
        """Subscribe a URL to event types; the answer shows the signing secret, once."""
        data = io.SubscriptionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhooks.create_subscription(created_by=request.user, **data.validated_data)
        return Response(
            io.CreatedSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class SubscriptionDetailView(APIView):
    permission_classes = [ManagesWebhooks]

    @extend_schema(
        operation_id="webhook_subscription",
        parameters=[ID],
        responses={200: io.SubscriptionSerializer, 403: schema.FORBIDDEN, **schema.READ_ERRORS},
        tags=["webhooks"],
    )
    def get(self, request: AuthenticatedRequest, id: int) -> Response:
        return Response(io.SubscriptionSerializer(visible_subscription(request, int(id))).data)

    @extend_schema(
        operation_id="webhook_subscription_change",
        parameters=[ID],
        request=io.SubscriptionChangeSerializer,
        responses={200: io.SubscriptionSerializer, **schema.WRITE_ERRORS},
        tags=["webhooks"],
    )
    def patch(self, request: AuthenticatedRequest, id: int) -> Response:
        """Change the URL, types or description; `is_active: true` re-enables it."""
        subscription = visible_subscription(request, int(id))
        data = io.SubscriptionChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = webhooks.update_subscription(subscription, **data.validated_data)
        return Response(io.SubscriptionSerializer(subscription).data)

    @extend_schema(
        operation_id="webhook_subscription_delete",
        parameters=[ID],
        request=None,
        responses={204: None, 403: schema.FORBIDDEN, **schema.READ_ERRORS},
        tags=["webhooks"],
    )
    def delete(self, request: AuthenticatedRequest, id: int) -> Response:
        """Remove the subscription with its deliveries and their attempt log."""
        visible_subscription(request, int(id)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
