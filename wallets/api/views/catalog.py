"""GET assets and conversions: public, so clients show the catalog before anyone logs in."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from core.api import schema
from ledger.selectors import list_active_assets, list_active_conversions
from wallets.api import serializers as io


class PublicListView(generics.ListAPIView):
    """No token, no filters, one list without pages."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    pagination_class = None
    filter_backends: list = []


class AssetListView(PublicListView):
    """Public: clients show the catalog before anyone logs in."""

    serializer_class = io.AssetSerializer

    @extend_schema(
        operation_id="assets",
        tags=["catalog"],
        responses={200: io.AssetSerializer(many=True), 429: schema.THROTTLED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return list_active_assets()


class ConversionListView(PublicListView):
    """Public: clients show the catalog before anyone logs in."""

    serializer_class = io.ConversionSerializer

    @extend_schema(
        operation_id="conversions",
        tags=["catalog"],
        responses={200: io.ConversionSerializer(many=True), 429: schema.THROTTLED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return list_active_conversions()
