from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from rest_framework import serializers

from core.timestamps import iso


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 2, 1, 2, 3, 456789, tzinfo=UTC),
        datetime(2026, 12, 2, 1, 2, 3, tzinfo=UTC),  # no microseconds: none written
        datetime(2026, 7, 1, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # summer offset
        datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
    ],
)
def test_iso_writes_what_drf_writes_in_utc(moment):
    assert iso(moment) == serializers.DateTimeField().to_representation(moment)
    assert iso(moment).endswith("Z")
