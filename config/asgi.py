import os

from django.core.asgi import get_asgi_application

# A server started without DJANGO_SETTINGS_MODULE must never serve with DEBUG on;
# manage.py (development) defaults to local instead.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()
