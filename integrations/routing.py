from django.urls import path

from integrations.consumers import WalletConsumer

websocket_urlpatterns = [
    # With and without the trailing slash, like every API path.
    path("ws/wallet/", WalletConsumer.as_asgi()),
    path("ws/wallet", WalletConsumer.as_asgi()),
]
