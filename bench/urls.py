"""The service's URLs plus /bench/hello, the floor a DRF request stands on, and
/bench/uncached/wallets/me and .../transactions, the balance read and the history
without the read cache."""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as service_urls
from wallets.api.views.history import HistoryView
from wallets.api.views.wallets import WalletView


class HelloView(APIView):
    """REST_FRAMEWORK's defaults, as every API view has them: JWTAuthentication (which
    reads the user row), IsAuthenticated, the ip and user throttles, the JSON renderer."""

    def get(self, request: Request) -> Response:
        return Response({"hello": "world"})


class UncachedWalletView(WalletView):
    use_cache = False


class UncachedHistoryView(HistoryView):
    use_cache = False


urlpatterns = [
    path("bench/hello", HelloView.as_view()),
    path("bench/uncached/wallets/<str:user>", UncachedWalletView.as_view()),
    path("bench/uncached/wallets/<str:user>/transactions", UncachedHistoryView.as_view()),
    *service_urls,
]
