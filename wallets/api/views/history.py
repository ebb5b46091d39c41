"""GET wallets/{user}/transactions: the wallet's history, newest first."""

from functools import partial
from typing import cast

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import roles
from core.api import schema
from core.api.pagination import NewestFirst
from wallets.api import serializers as io
from wallets.api.access import USER_PARAM, resolve_owner
from wallets.api.filters import HistoryFilter
from wallets.selectors import list_entries, list_history


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

    def get_queryset(self):
        return list_entries()  # what the filters narrow; list_history keeps the owner's

    def list(self, request: Request, user: str) -> Response:
        owner = resolve_owner(request, user, others_need=roles.VIEW_ANY_WALLET)
        filtered = any(name in request.query_params for name in HistoryFilter.base_filters)
        entries = self.filter_queryset(self.get_queryset()) if filtered else None
        paginator = cast(NewestFirst, self.paginator)
        page = paginator.paginate_keyset(
            partial(list_history, owner=owner, entries=entries), request
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
