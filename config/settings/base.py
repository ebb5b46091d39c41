"""Settings shared by every environment; each value can be set from the environment."""

import logging
from datetime import timedelta
from pathlib import Path

from config.env import database_from_url, env_bool, env_int, env_list, env_str
from core.observability.logs import logging_settings
from core.observability.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django-unfold's templates and static files override the stock admin's: before it.
    # Its basic config leaves admin.site alone, so the site stays WalletAdminSite.
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "config.apps.WalletAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_structlog",
    "core.observability",
    "accounts",
    "ledger",
    "wallets",
    "rewards",
    "payments",
    "jobs",
    "integrations",
]

MIDDLEWARE = [
    # Outermost: the request id on every log line and response (X-Request-ID), errors
    # included, and one request_finished line per request (django-structlog).
    "core.observability.middleware.RequestLogMiddleware",
    # Rewraps any error under /api/ that Django answered as an HTML page.
    "core.api.middleware.ApiErrorEnvelopeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # gunicorn serves the admin's and Swagger UI's static files itself (no nginx needed).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "core.api.middleware.RejectUnstorableQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.api.middleware.DatabaseUnavailableMiddleware",
    # Innermost: each route's latency and responses (django-prometheus), labelled by route.
    "core.observability.middleware.RouteMetricsMiddleware",
]

ROOT_URLCONF = "config.urls"
# Every API path answers with and without the trailing slash itself; never redirect a POST.
APPEND_SLASH = False
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL"), sqlite_path=BASE_DIR / "db.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# The history index's INCLUDE columns are PostgreSQL's; SQLite (the embedded default)
# builds the index without them, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_USER_MODEL = "accounts.User"
# ModelBackend, with each user's permissions kept in process memory (accounts/backends.py).
AUTHENTICATION_BACKENDS = ["accounts.backends.CachedPermissionsBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # MinimumLengthValidator's rule, not counting whitespace: "            " is no password.
    {"NAME": "accounts.passwords.VisibleLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
# Languages notifications are written in (Accept-Language picks one; integrations/locale).
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
USE_TZ = True
# The calendar that daily limits (check-in, daily tasks) and leaderboard periods follow.
WALLET_TIME_ZONE = env_str("WALLET_TIME_ZONE", "UTC")

STATIC_URL = "static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "wallet",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# GET wallets/{user} and its history pages answered from Redis (ledger/read_cache.py):
# the most a cached read may lag a write whose invalidation was lost; 0 turns it off.
BALANCE_CACHE_SECONDS = env_int("BALANCE_CACHE_SECONDS", 30)
# The back-office dashboard's figures are read at most once per this many seconds per
# range (the page says when they were read); 0 reads them on every load.
DASHBOARD_FIGURES_SECONDS = env_int("DASHBOARD_FIGURES_SECONDS", 5)

# Events leave through the outbox table; without AMQP_URL they are kept, not relayed.
AMQP_URL = env_str("AMQP_URL")
AMQP_EXCHANGE = env_str("AMQP_EXCHANGE", "wallet.events")
# Events out (README "Events out"): the relay publishes each partition of the outbox
# strictly in order (a user's wallets share one); changing the count reorders only what
# is unpublished at that moment. Dispatchers: dotted paths of callables receiving each
# published batch's envelopes in the relay's transaction. Validation: every event
# written is checked against the catalogue's schema (on in the tests).
OUTBOX_PARTITIONS = env_int("OUTBOX_PARTITIONS", 16)
OUTBOX_DISPATCHERS: list[str] = ["integrations.dispatch.dispatch"]
OUTBOX_VALIDATE_EVENTS = False
# Events in (manage.py consume_events): the queue bound to AMQP_EXCHANGE, and how often a
# message that fails is tried (INBOX_RETRY_SECONDS apart) before it is dead-lettered.
AMQP_QUEUE = env_str("AMQP_QUEUE", "wallet.inbox")
INBOX_MAX_ATTEMPTS = env_int("INBOX_MAX_ATTEMPTS", 5)
INBOX_RETRY_SECONDS = env_int("INBOX_RETRY_SECONDS", 5)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # orjson encodes in Rust: a tenth of the json module's time on every response.
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
    # Counters live in the default cache: Redis when REDIS_URL is set, so limits hold
    # across gunicorn workers and hosts.
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttles.ApiThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "ip": env_str("THROTTLE_IP_RATE", "1200/min"),
        "user": env_str("THROTTLE_USER_RATE", "600/min"),
        "auth": env_str("THROTTLE_AUTH_RATE", "20/min"),
    },
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY") or SECRET_KEY,
    # Rotation and reuse detection are accounts.services.rotate_refresh_token's (one row
    # per login); simplejwt's blacklist app, which stored every token in clear, is not used.
    "UPDATE_LAST_LOGIN": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Wallet service API",
    "DESCRIPTION": (
        "Virtual currency wallets on an immutable double-entry ledger. Amounts are decimal "
        "strings with the asset's scale. Every POST that moves value takes an optional "
        '`Idempotency-Key` header; errors are `{"error": {"code", "message", "details"}}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from the sidecar package, not a CDN: the docs work offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TransactionTypeEnum": "ledger.models.TransactionType",
        "HoldStatusEnum": "ledger.models.Hold.Status",
        "AccountStatusEnum": "ledger.models.AccountStatus",
        "DepositStatusEnum": "payments.models.Deposit.Status",
        "WithdrawalStatusEnum": "payments.models.Withdrawal.Status",
        "PaymentStatusEnum": "payments.models.Payment.Status",
    },
}

# Money in and out (payments/). Amounts in minor units per asset code; "DEFAULT" covers
# the rest. Above the threshold a withdrawal, adjustment or bonus needs a second staff
# member; the daily limit caps what one user asks to withdraw per day and asset.
PAYMENTS_APPROVAL_THRESHOLDS = {"DEFAULT": env_int("PAYMENTS_APPROVAL_THRESHOLD", 100_000)}
PAYMENTS_DAILY_WITHDRAWAL_LIMITS = {
    "DEFAULT": env_int("PAYMENTS_DAILY_WITHDRAWAL_LIMIT", 1_000_000)
}
# Provider name -> class (payments/providers/base.py); who collects deposits, pays out.
PAYMENTS_PROVIDERS = {"simulated": "payments.providers.simulated.SimulatedProvider"}
PAYMENTS_DEPOSIT_PROVIDER = env_str("PAYMENTS_DEPOSIT_PROVIDER", "simulated")
PAYMENTS_PAYOUT_PROVIDER = env_str("PAYMENTS_PAYOUT_PROVIDER", "simulated")
PAYMENTS_PROVIDER_SECRETS = {
    "simulated": env_str("SIMULATED_PROVIDER_SECRET") or f"simulated:{SECRET_KEY}"
}
PAYMENTS_CALLBACK_TOLERANCE = env_int("PAYMENTS_CALLBACK_TOLERANCE", 300)  # seconds
PAYMENTS_DEPOSIT_TTL = env_int("PAYMENTS_DEPOSIT_TTL", 3600)  # seconds until it expires
# Keys the hash of withdrawal account numbers (payments/destinations.py).
PAYMENTS_DESTINATION_KEY = env_str("PAYMENTS_DESTINATION_KEY") or f"destinations:{SECRET_KEY}"

# What a new user is given at signup, as BONUS transactions: asset code -> amount (minor units).
SIGNUP_GRANTS = {"GOLD": 100}

# Observability (core/observability/): structured logs, Prometheus metrics, Sentry.
# Every logger's lines in one format: readable text here, JSON lines in production.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
PIKA_LOG_LEVEL = env_str("PIKA_LOG_LEVEL", "WARNING")
LOGGING = logging_settings(style="console", level=LOG_LEVEL, pika_level=PIKA_LOG_LEVEL)
# request_finished's level by status: django-structlog's defaults, spelled out because it
# looks each up per request and a setting left unset is the slow path of that look-up.
DJANGO_STRUCTLOG_STATUS_2XX_LOG_LEVEL = logging.INFO
DJANGO_STRUCTLOG_STATUS_4XX_LOG_LEVEL = logging.WARNING
DJANGO_STRUCTLOG_STATUS_5XX_LOG_LEVEL = logging.ERROR
DJANGO_STRUCTLOG_STATUS_DEFAULT_LOG_LEVEL = logging.INFO

# /metrics answers a scraper with this Bearer token, or a staff member signed in.
METRICS_TOKEN = env_str("METRICS_TOKEN")
# Seconds; the API answers in milliseconds, below django-prometheus's default 10 ms floor.
PROMETHEUS_LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, float("inf"),
)  # fmt: skip

# Error reporting, only when a DSN is given.
SENTRY_DSN = env_str("SENTRY_DSN")
init_sentry(
    dsn=SENTRY_DSN,
    environment=env_str("SENTRY_ENVIRONMENT"),
    release=env_str("SENTRY_RELEASE"),
    traces_sample_rate=float(env_str("SENTRY_TRACES_SAMPLE_RATE") or 0),
)

# The daily check-in and the monthly active-user bonus, in minor units.
CHECKIN_ASSET = env_str("CHECKIN_ASSET", "CITY_POINTS")
CHECKIN_AMOUNT = env_int("CHECKIN_AMOUNT", 2)
MONTHLY_ACTIVE_BONUS_ASSET = env_str("MONTHLY_ACTIVE_BONUS_ASSET", "CITY_POINTS")
MONTHLY_ACTIVE_BONUS_AMOUNT = env_int("MONTHLY_ACTIVE_BONUS_AMOUNT", 100)

# The back office's theme (django-unfold): the sidebar leads to where each task is done;
# "all applications" lists every other model. See README, Back office.
UNFOLD = {
    "SITE_TITLE": "Wallet back office",
    "SITE_HEADER": "Wallet back office",
    "SITE_SYMBOL": "account_balance_wallet",
    "SHOW_VIEW_ON_SITE": False,
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": "config.admin.sidebar_navigation",
    },
}

# Back-office jobs (jobs/): bulk transfers and campaigns started from the admin. With a
# broker they are Celery tasks on RabbitMQ, run by `celery -A config worker`; without
# one (the embedded default) in a thread of the web process. Progress lives in the Job
# row, so no result backend is kept.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or AMQP_URL
JOBS_RUNNER = env_str("JOBS_RUNNER") or ("celery" if CELERY_BROKER_URL else "thread")
CELERY_TASK_DEFAULT_QUEUE = env_str("JOBS_QUEUE", "wallet.jobs")
# An admin export of more rows than this runs as a job (core.exports): gunicorn kills a
# sync worker busy past its timeout (30 s), and this many rows take a few seconds.
EXPORTS_INLINE_MAX_ROWS = env_int("EXPORTS_INLINE_MAX_ROWS", 10_000)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_IGNORE_RESULT = True
# One job at a time per worker process: a long job never holds a second one back.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Uploaded bulk files and job results. Several workers on several machines need one
# storage they all reach: a shared volume here, or an object store in STORAGES.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
MEDIA_URL = "media/"

# Integrations (integrations/): live wallet events, notifications, webhooks.
# The websocket server (config.asgi under uvicorn) and the relay meet in the channel layer:
# Redis when REDIS_URL is set, else in process memory (one process only).
CHANNEL_LAYER_PREFIX = env_str("CHANNEL_LAYER_PREFIX", "wallet")
# socket_timeout above channels-redis's 5 s blocking pop: redis-py 8 defaults it to 5 s,
# which times the pop out and drops every idle socket after about 5 s.
CHANNEL_LAYERS = (
    {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": CHANNEL_LAYER_PREFIX,
            },
        }
    }
    if REDIS_URL
    else {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
)
# Webhook delivery (manage.py deliver_webhooks): per-attempt timeout, backoff between
# attempts (exponential from BASE, capped at MAX, with jitter), attempts per delivery, and
# the run of failed attempts that disables a subscription.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_BASE_SECONDS = float(env_str("WEBHOOK_RETRY_BASE_SECONDS") or 10)
WEBHOOK_RETRY_MAX_SECONDS = float(env_str("WEBHOOK_RETRY_MAX_SECONDS") or 3600)
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 10)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
# Off: deliveries to loopback, private and link-local addresses are refused.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", False)
