"""Error reporting to Sentry, only when SENTRY_DSN is set."""

import sentry_sdk
import structlog
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.types import Event, Hint


def init_sentry(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float = 0.0
) -> bool:
    """Start the Sentry client when a DSN is given; return whether it was started.

    send_default_pii is off: no user details, IP addresses or cookies leave the service.
    Tracing is off unless a sample rate is given: it would time every request. Each
    event is tagged with the request id its log lines carry, to find one from the other.
    """
    if not dsn:
        return False
    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        before_send=_tag_request_id,
    )
    return True


def _tag_request_id(event: Event, hint: Hint) -> Event:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event
