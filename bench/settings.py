"""The bench's server settings: production's, plus a URLconf with a DRF hello view.

Everything else (secret, database, Redis, throttle rates, SSL redirect off) comes
from the environment that bench/request_path.py gives gunicorn.
"""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
