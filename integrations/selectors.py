from django.db.models import QuerySet

from integrations.models import Notification


def list_notifications(*, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.filter(user_id=user_id)


def count_unread(*, user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()
