from core.api.routes import PK, api_path
from integrations.api import views

urlpatterns = [
    api_path("notifications", views.NotificationListView.as_view(), name="notifications"),
    api_path(
        "notifications/read-all",
        views.NotificationReadAllView.as_view(),
        name="notifications-read-all",
    ),
    api_path(
        rf"notifications/(?P<id>{PK})/read",
        views.NotificationReadView.as_view(),
        name="notification-read",
    ),
    api_path(
        "webhooks/subscriptions", views.SubscriptionListView.as_view(), name="webhook-subscriptions"
    ),
    api_path(
        rf"webhooks/subscriptions/(?P<id>{PK})",
        views.SubscriptionDetailView.as_view(),
        name="webhook-subscription",
    ),
]
