"""Notification writes: marking them read. Creating them is the dispatcher's."""

from django.db import transaction
from django.utils import timezone

from core.errors import NotFound
from integrations.models import Notification


def mark_read(*, user_id: int, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again is a no-op). Another user's
    notification is NotFound, like a missing one."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, user_id=user_id)
            .first()
        )
        if notification is None:
            raise NotFound("No such notification.")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return notification


def mark_all_read(*, user_id: int) -> int:
    """Mark every unread notification of the user read; return how many were unread."""
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )
