from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from core.amounts import format_amount
from core.exports import ExportsMixin
from ledger.admin import AmountsInUnits, ReadOnlyAdmin
from rewards.campaigns import audience_cost
from rewards.exports import RedemptionResource, for_export
from rewards.forms import CampaignForm
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
    exclude = ["users"]  # set by uploading a list (CampaignForm.audience_file)
    readonly_fields = ["status", "paid_up_to_user", "finished_at", "audience_and_cost"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The audience is a segment or an uploaded list: no picker over every user.
        return super().get_form(request, obj, change, **{**kwargs, "form": CampaignForm})

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        form.save_audience(form.instance)

    @admin.display(description="audience and cost")
    def audience_and_cost(self, campaign: Campaign) -> str:
        if campaign.pk is None:
            return "Shown once saved."
        users, cost = audience_cost(campaign)
        start = reverse("admin:jobs_job_start_campaign", args=[campaign.pk])
        return format_html(
            '<span id="audience-size">{}</span> users to pay, '
            '<span id="audience-cost">{} {}</span> in all. '
            '<a href="{}" class="font-medium text-primary-600 underline">Start the campaign</a>',
            users,
            format_amount(cost, scale=campaign.asset.scale),
            campaign.asset.code,
            start,
        )


class VoucherInline(TabularInline):
    model = Voucher
    readonly_fields = ["code"]
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Redemption)
class RedemptionAdmin(ExportsMixin, ReadOnlyAdmin):
    export_resource = RedemptionResource
    list_display = ["id", "user", "reward", "quantity", "transaction", "created_at"]
    list_filter = ["reward__kind"]
    search_fields = ["user__email", "vouchers__code"]
    list_select_related = ["user", "reward"]
    inlines = [VoucherInline]

    def get_export_queryset(self, request, queryset):
        return for_export(queryset)


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
