from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import django_filters
from django.conf import settings
from django.db.models import Q, QuerySet, Subquery
from django.utils import dateparse, timezone
from rest_framework.exceptions import ValidationError

from ledger.models import Asset, TransactionType


def parse_moment(name: str, value: str, *, end_of_day: bool) -> datetime:
    """An ISO 8601 datetime (naive means WALLET_TIME_ZONE) or a date: its first instant, or
    with end_of_day its last (23:59:59.999999, the last microsecond PostgreSQL stores), so
    that 9999-12-31 needs no next day that does not exist."""
    zone = ZoneInfo(settings.WALLET_TIME_ZONE)
    try:
        # A plain date first: parse_datetime would read "2026-03-01" as its midnight.
        day = dateparse.parse_date(value)
        if day is not None:
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        else:
            moment = dateparse.parse_datetime(value)
        if moment is None:
            raise ValueError
    except ValueError:
        raise ValidationError({name: ["Use an ISO 8601 date or datetime."]}) from None
    moment = moment if timezone.is_aware(moment) else moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # Before the calendar's first instant in UTC (0001-01-01T00:00+14:00) or after
        # its last: that end, which no entry passes either. SQLite stores UTC and could
        # not compare the moment at all.
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)


class HistoryFilter(django_filters.FilterSet):
    """Narrows entries (ledger.Entry); history lists the transactions of the owner's.

    Every condition is on the entry or its transaction, so each account's newest
    entries can be read through its index with the filters applied (list_history).
    """

    type = django_filters.CharFilter(method="filter_type", help_text="Transaction type, any case.")
    asset = django_filters.CharFilter(method="filter_asset", help_text="Asset code.")
    since = django_filters.CharFilter(method="filter_since", help_text="ISO 8601 date or datetime.")
    until = django_filters.CharFilter(method="filter_until", help_text="ISO 8601 date or datetime.")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Text in the reference or description."
    )

    def filter_type(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        kind = value.strip().upper()
        if kind not in TransactionType.values:
            raise ValidationError({"type": [f"One of {', '.join(TransactionType.values)}."]})
        return queryset.filter(transaction__type=kind)

    def filter_asset(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The asset's id as a scalar subquery, not a join on its code: compared with each
        # account's own asset, it lets PostgreSQL skip the other accounts unread.
        asset = Asset.objects.filter(code=value.strip().upper()).values("pk")[:1]
        return queryset.filter(asset=Subquery(asset))

    def filter_since(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(created_at__gte=parse_moment(name, value, end_of_day=False))

    def filter_until(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(created_at__lte=parse_moment(name, value, end_of_day=True))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(transaction__reference__icontains=text) | Q(transaction__description__icontains=text)
        )
