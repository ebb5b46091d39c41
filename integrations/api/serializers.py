from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.messages import render
from integrations.models import Notification, WebhookSubscription


class NotificationSerializer(serializers.ModelSerializer):
    message = serializers.SerializerMethodField()
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "event_type", "event_id", "message", "params", "created_at",
                  "read", "read_at"]  # fmt: skip

    def get_message(self, notification: Notification) -> str:
        """In the language the view activated (Accept-Language)."""
        return render(notification)

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationPageSerializer(serializers.Serializer):
    """The list's page: cursor links, the caller's unread count, the notifications."""

    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread.")
    unread = serializers.IntegerField()


class SubscriptionSerializer(serializers.ModelSerializer):
    """A subscription as read back: the secret only as its last four characters."""

    secret_hint = serializers.SerializerMethodField()

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "event_types", "description", "is_active",
                  "consecutive_failures", "disabled_at", "created_at", "secret_hint"]  # fmt: skip

    def get_secret_hint(self, subscription: WebhookSubscription) -> str:
        return "…" + subscription.secret[-4:]


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    """The 201 of a new subscription: the one time the secret is shown whole."""

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]


@extend_schema_field({"type": "array", "items": {"type": "string"}, "minItems": 1})
class EventTypesField(serializers.JSONField):
    """A non-empty list of event types, checked by the service (known types, all strings).
    Not a ListField of CharField: its errors for a bad item are keyed by the item's index,
    which the JSON renderer cannot write (a 500)."""


class SubscriptionInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500)
    event_types = EventTypesField()
    secret = serializers.CharField(
        required=False, min_length=16, max_length=100,
        help_text="Signs the deliveries; generated (whsec_...) when not given.",
    )  # fmt: skip
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)


class SubscriptionChangeSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    event_types = EventTypesField(required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    is_active = serializers.BooleanField(
        required=False, help_text="true re-enables a disabled subscription (failures reset)."
    )
