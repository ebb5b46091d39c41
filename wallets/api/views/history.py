"""GET wallets/{user}/transactions: the wallet's history, newest first, answered from
the read cache (ledger/read_cache.py) when it holds the page for this URL."""

from functools import partial
from typing import cast

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import roles
from accounts.models import User
from core.api import schema
from core.api.pagination import NewestFirst
from ledger.read_cache import wallet_reads
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
    use_cache = True  # bench/urls.py serves the read without it too, to compare

    def get_queryset(self):
        return list_entries()  # what the filters narrow; list_history keeps the owner's

    def list(self, request: Request, user: str) -> Response:
        owner = resolve_owner(request, user, others_need=roles.VIEW_ANY_WALLET)
        # A page is the owner's ledger seen through its URL (the filters, the cursor, and
        # the links, which carry the host): kept per URL, retired by the owner's next write.
        read = partial(self._page, request, owner)
        if not self.use_cache:
            return Response(read())
        url = request.build_absolute_uri()
        return Response(wallet_reads.read_through(str(owner.pk), read, variant=url))

    def _page(self, request: Request, owner: User) -> dict:
        filtered = any(name in request.query_params for name in HistoryFilter.base_filters)
        entries = self.filter_queryset(self.get_queryset()) if filtered else None
        paginator = cast(NewestFirst, self.paginator)
        page = paginator.paginate_keyset(
            partial(list_history, owner=owner, entries=entries), request
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data).data
