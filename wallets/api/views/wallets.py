"""GET wallets/{user}: balances per asset, answered from the read cache when it holds
them (ledger/read_cache.py)."""

from datetime import timedelta
from functools import partial

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import roles
from accounts.models import User
from core.api import schema
from ledger import services as ledger
from ledger.read_cache import wallet_reads
from ledger.reference import active_assets
from ledger.selectors import get_user_wallets
from wallets.api import serializers as io
from wallets.api.access import USER_PARAM, AuthenticatedRequest, resolve_owner

EXPIRY_WINDOW = timedelta(days=30)


class WalletView(APIView):
    use_cache = True  # bench/urls.py serves the read without it too, to compare

    @extend_schema(
        operation_id="wallet_balances",
        parameters=[USER_PARAM],
        responses={200: io.WalletSerializer, 403: schema.FORBIDDEN, **schema.READ_ERRORS},
        tags=["wallets"],
    )
    def get(self, request: AuthenticatedRequest, user: str) -> Response:
        """Balances per asset: balance, held, available and what expires in the next 30 days."""
        owner = resolve_owner(request, user, others_need=roles.VIEW_ANY_WALLET)
        read = partial(_balances, owner)
        return Response(
            wallet_reads.read_through(str(owner.pk), read) if self.use_cache else read()
        )


def _balances(owner: User) -> dict:
    expiring_before = timezone.now() + EXPIRY_WINDOW
    wallets = get_user_wallets(user_id=owner.pk, expiring_before=expiring_before)
    if not set(active_assets()) <= {wallet.asset for wallet in wallets}:
        ledger.open_user_accounts(user=owner)  # assets added since signup
        wallets = get_user_wallets(user_id=owner.pk, expiring_before=expiring_before)
    return io.WalletSerializer({"user": owner.pk, "wallets": wallets}).data
