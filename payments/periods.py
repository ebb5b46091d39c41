"""The day that daily limits count in (WALLET_TIME_ZONE, as everywhere in the service)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def day_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.WALLET_TIME_ZONE)
    local = timezone.localtime(now or timezone.now(), zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)
