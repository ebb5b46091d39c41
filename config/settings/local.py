"""Development: DEBUG on and an embedded secret, so a bare machine runs with no setup."""

from config.env import env_bool, env_str

from .base import *  # noqa: F403
from .base import SIMPLE_JWT

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production"
SIMPLE_JWT["SIGNING_KEY"] = env_str("JWT_SIGNING_KEY") or SECRET_KEY

# Static files come straight from the apps (no collectstatic in development).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Webhook receivers on this machine are what development tries first.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", True)
