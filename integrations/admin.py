"""Back office for notifications and webhooks. Subscriptions are edited here or over the
API; deliveries and their attempts are read-only, with "send again" and re-enabling as
actions (written to the admin history)."""

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError as FormError
from django.db.models import Min, QuerySet
from unfold.admin import ModelAdmin, TabularInline

from core.errors import DomainError
from integrations.models import Notification, WebhookAttempt, WebhookDelivery, WebhookSubscription
from integrations.webhooks import services
from integrations.webhooks.addresses import validate_url
from ledger.dashboard import QUEUE_COUNT_LIMIT, Queue, register_queue

T = TypeVar("T")


class ReadOnly(ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ["id", "user", "kind", "event_type", "created_at", "read_at"]
    list_filter = ["kind", "event_type"]
    search_fields = ["user__email", "event_id"]
    list_select_related = ["user"]
    show_full_result_count = False


class SubscriptionForm(forms.ModelForm):
    event_types = forms.CharField(
        help_text="Comma-separated outbox event types (wallet.transaction.posted, ...), or *",
        widget=forms.TextInput(attrs={"size": 80}),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "event_types", "secret", "description", "is_active"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            self.initial.setdefault("secret", services.new_secret())
        else:
            self.initial["event_types"] = ", ".join(self.instance.event_types)

    def clean_event_types(self) -> list[str]:
        names = [name.strip() for name in self.cleaned_data["event_types"].split(",")]
        return self._checked(services.validate_event_types, [name for name in names if name])

    def clean_url(self) -> str:
        return self._checked(validate_url, self.cleaned_data["url"])

    def clean_secret(self) -> str:
        secret = self.cleaned_data["secret"]
        if len(secret) < services.MIN_SECRET_LENGTH:
            raise FormError(f"At least {services.MIN_SECRET_LENGTH} characters.")
        return secret

    @staticmethod
    def _checked(check: Callable[[T], T], value: T) -> T:
        try:
            return check(value)
        except DomainError as error:
            raise FormError(error.message) from None


class AttemptInline(TabularInline):
    model = WebhookAttempt
    fields = ["attempted_at", "succeeded", "response_status", "duration_ms", "error"]
    readonly_fields = ["attempted_at", "succeeded", "response_status", "duration_ms", "error"]
    extra = 0
    can_delete = False
    max_num = 0
    ordering = ["-id"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ModelAdmin):
    form = SubscriptionForm
    list_display = ["id", "url", "types", "is_active", "consecutive_failures", "disabled_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    actions = ["enable", "disable"]

    @admin.display(description="event types")
    def types(self, subscription: WebhookSubscription) -> str:
        return ", ".join(subscription.event_types)

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(
        permissions=["change"],
        description="Enable (reset the failure count; pending deliveries resume)",
    )
    def enable(self, request, queryset: QuerySet) -> None:
        for subscription in queryset:
            self.log_change(request, subscription, "Enabled")
        count = services.enable_subscriptions(queryset)
        self.message_user(request, f"Enabled {count} subscriptions.", messages.SUCCESS)

    @admin.action(permissions=["change"], description="Disable (pending deliveries wait)")
    def disable(self, request, queryset: QuerySet) -> None:
        for subscription in queryset:
            self.log_change(request, subscription, "Disabled")
        count = services.disable_subscriptions(queryset)
        self.message_user(request, f"Disabled {count} subscriptions.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnly):
    list_display = ["id", "subscription", "event_type", "status", "attempts",
                    "next_attempt_at", "last_attempt_at", "delivered_at"]  # fmt: skip
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "subscription__url"]
    list_select_related = ["subscription"]
    inlines = [AttemptInline]
    actions = ["send_again"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        # The actions' gate; every field stays read-only (get_readonly_fields).
        return request.user.has_perm("integrations.change_webhooksubscription")

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    @admin.action(permissions=["change"], description="Send again (a new run of attempts, due now)")
    def send_again(self, request, queryset: QuerySet) -> None:
        for delivery in queryset:
            self.log_change(request, delivery, "Sent again")
        count = services.send_again(queryset)
        self.message_user(request, f"{count} deliveries will be sent again.", messages.SUCCESS)


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnly):
    list_display = ["id", "delivery", "attempted_at", "succeeded", "response_status",
                    "duration_ms", "error"]  # fmt: skip
    list_filter = ["succeeded"]
    list_select_related = ["delivery"]
    show_full_result_count = False


def webhook_backlog() -> Queue:
    """The dashboard's "waiting" panel: deliveries not yet made (through the index the
    worker claims them by)."""
    pending = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).order_by()
    return Queue(
        label="Webhook deliveries waiting",
        size=pending[: QUEUE_COUNT_LIMIT + 1].count(),
        link="admin:integrations_webhookdelivery_changelist",
        oldest=pending.aggregate(oldest=Min("next_attempt_at"))["oldest"],
    )


register_queue(webhook_backlog)
