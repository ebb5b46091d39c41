"""Configured amounts, per asset code, in minor units (settings: PAYMENTS_*; "DEFAULT"
covers the assets not listed)."""

from django.conf import settings

from ledger.models import Asset


def _per_asset(table: dict[str, int], asset: Asset) -> int:
    return table.get(asset.code, table["DEFAULT"])


def approval_threshold(asset: Asset) -> int:
    """Above this, a withdrawal, adjustment or bonus needs a second staff member."""
    return _per_asset(settings.PAYMENTS_APPROVAL_THRESHOLDS, asset)


def daily_withdrawal_limit(asset: Asset) -> int:
    """What one user may ask to withdraw per day (WALLET_TIME_ZONE) of the asset."""
    return _per_asset(settings.PAYMENTS_DAILY_WITHDRAWAL_LIMITS, asset)


def needs_approval(*, asset: Asset, amount: int) -> bool:
    """Whether a second staff member must approve moving `amount` (signed or not)."""
    return abs(amount) > approval_threshold(asset)
