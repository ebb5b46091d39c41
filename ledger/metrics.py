"""The outbox's backlog and the relay's lag, read from the table when /metrics is scraped.

Read at scrape time rather than counted as events are written and published: the
figures then hold for every relay and every worker alike, and survive restarts.
"""

from datetime import datetime

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ledger.models import OutboxEvent

# Counting stops here, so a scrape stays cheap even when events pile up for days (the
# embedded setup keeps them without a broker); the lag still tells how bad it is.
BACKLOG_COUNT_LIMIT = 1_000_000


class OutboxCollector(Collector):
    def collect(self):
        backlog, oldest = outbox_backlog()
        yield GaugeMetricFamily(
            "wallet_outbox_unpublished_events",
            f"Outbox events not yet relayed to the broker (counted up to {BACKLOG_COUNT_LIMIT:,}).",
            value=backlog,
        )
        lag = (timezone.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "wallet_outbox_oldest_unpublished_age_seconds",
            "Age of the oldest event not yet relayed: how far the relay is behind (0 when none).",
            value=max(lag, 0.0),
        )


def outbox_backlog() -> tuple[int, datetime | None]:
    """(unpublished events, when the oldest was written), both through the partial index
    on unpublished rows."""
    unpublished = OutboxEvent.objects.filter(published_at__isnull=True)
    oldest = unpublished.order_by("id").values_list("created_at", flat=True).first()
    if oldest is None:
        return 0, None
    return unpublished.order_by()[:BACKLOG_COUNT_LIMIT].count(), oldest
