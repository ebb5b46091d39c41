"""Datetimes as the API and the events write them."""

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a `Z`: what DRF's DateTimeField writes under TIME_ZONE = "UTC",
    without its per-value lookup of the active time zone (a history page writes 200)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
