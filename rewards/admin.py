from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from ledger.admin import AmountsInUnits, ReadOnlyAdmin
from rewards.models import (
    ActivityEvent,
    Campaign,
    CheckIn,
    EarningRule,
    Item,
    Milestone,
    Purchase,
    Redemption,
    Reward,
    Task,
    TaskCompletion,
    Voucher,
)


class ConfigAdmin(AmountsInUnits, ModelAdmin):
    """Configuration staff edit, amounts in the asset's units; rows that recorded value
    moving are never deleted."""

    list_select_related = ["asset"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(ConfigAdmin):
    amounts = {"reward": "asset"}
    list_display = [
        "title",
        "asset",
        "reward",
        "kind",
        "period",
        "cap",
        "active",
        "starts_at",
        "ends_at",
    ]
    list_filter = ["active", "kind", "asset"]
    search_fields = ["title"]


@admin.register(Item)
class ItemAdmin(ConfigAdmin):
    amounts = {"price": "asset"}
    list_display = ["name", "asset", "price", "stock", "active"]
    list_filter = ["active", "asset"]
    search_fields = ["name"]


@admin.register(Reward)
class RewardAdmin(ConfigAdmin):
    amounts = {"cost": "asset"}
    list_display = ["name", "kind", "asset", "cost", "stock", "cause", "issues_voucher", "active"]
    list_filter = ["active", "kind", "asset"]
    search_fields = ["name", "cause"]


@admin.register(EarningRule)
class EarningRuleAdmin(ConfigAdmin):
    amounts = {"amount": "asset"}
    list_display = ["event", "asset", "amount", "period", "limit_per_period", "active"]
    list_filter = ["active", "asset"]
    search_fields = ["event"]


@admin.register(Milestone)
class MilestoneAdmin(ConfigAdmin):
    amounts = {"amount": "asset"}
    list_display = ["event", "count", "asset", "amount", "active"]
    list_filter = ["active"]


@admin.register(Campaign)
class CampaignAdmin(ConfigAdmin):
    amounts = {"amount": "asset"}
    list_display = ["name", "asset", "amount", "audience", "status", "created_at", "finished_at"]
    list_filter = ["status", "audience", "asset"]
    search_fields = ["name"]
    filter_horizontal = ["users"]
    readonly_fields = ["status", "paid_up_to_user", "finished_at"]


class VoucherInline(TabularInline):
    model = Voucher
    readonly_fields = ["code"]
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "reward", "quantity", "transaction", "created_at"]
    list_filter = ["reward__kind"]
    search_fields = ["user__email", "vouchers__code"]
    list_select_related = ["user", "reward"]
    inlines = [VoucherInline]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    amounts = {"unit_price": "item.asset"}
    list_display = ["id", "user", "item", "quantity", "unit_price", "transaction", "created_at"]
    search_fields = ["user__email", "item__name"]
    list_select_related = ["user", "item__asset"]


@admin.register(TaskCompletion)
class TaskCompletionAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "task", "period_key", "sequence", "created_at"]
    search_fields = ["user__email", "task__title"]
    list_select_related = ["user", "task"]


@admin.register(ActivityEvent)
class ActivityEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "event", "reference", "transaction", "created_at"]
    list_filter = ["event"]
    search_fields = ["user__email", "reference"]
    list_select_related = ["user"]


@admin.register(CheckIn)
class CheckInAdmin(ReadOnlyAdmin):
    list_display = ["id", "user", "day", "transaction"]
    date_hierarchy = "day"
    search_fields = ["user__email"]
    list_select_related = ["user"]
