from django.db.models import QuerySet

from accounts.models import User
from integrations.models import WebhookSubscription


def subscriptions_visible_to(user: User) -> QuerySet[WebhookSubscription]:
    """Staff see every subscription; a service account the ones it created."""
    everything = WebhookSubscription.objects.all()
    return everything if user.is_staff else everything.filter(created_by=user)
