"""The ASGI process: `/ws/wallet/` (integrations.consumers) and, like config.wsgi, every
HTTP route. Production serves HTTP from gunicorn (config.wsgi) and runs this under uvicorn
on its own port for the websockets (README "Live events")."""

import os

from django.core.asgi import get_asgi_application

# A server started without DJANGO_SETTINGS_MODULE must never serve with DEBUG on;
# manage.py (development) defaults to local instead.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
http_application = get_asgi_application()

# Imported once Django is set up: the consumer reads models.
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from integrations.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {"http": http_application, "websocket": URLRouter(websocket_urlpatterns)}
)
