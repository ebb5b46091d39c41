"""Reads of the rewards economy. Never write, never lock."""

from django.db.models import QuerySet

from accounts.models import User
from rewards.models import Item, Redemption, Reward, Task


def list_active_tasks() -> QuerySet[Task]:
    return Task.objects.filter(active=True).select_related("asset")


def list_active_items() -> QuerySet[Item]:
    return Item.objects.filter(active=True).select_related("asset")


def list_active_rewards() -> QuerySet[Reward]:
    return Reward.objects.filter(active=True).select_related("asset")


def list_redemptions(*, user: User) -> QuerySet[Redemption]:
    """The user's redemptions with their reward and voucher codes (unordered: the
    pagination orders them)."""
    return (
        Redemption.objects.filter(user=user).select_related("reward").prefetch_related("vouchers")
    )
