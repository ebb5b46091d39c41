from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts import roles
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import User
from config.admin import ReasonForm, confirmed_action
from ledger.amounts import to_minor_units
from ledger.models import AccountPurpose, Asset, TransactionType
from ledger.services import credit, open_user_accounts


class BonusForm(ReasonForm):
    asset = forms.ModelChoiceField(Asset.objects.filter(active=True), to_field_name="code")
    amount = forms.CharField(help_text="In the asset's units, e.g. 10 or 2.50.")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    add_form = UserCreationAdminForm
    form = UserChangeAdminForm
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["email", "name"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["grant_bonus"]

    def has_bonus_permission(self, request) -> bool:
        return request.user.has_perm(roles.CREDIT_ANY_WALLET)

    @admin.action(description="Grant a bonus to the selected users", permissions=["bonus"])
    def grant_bonus(self, request, queryset):
        def perform(user: User, data: dict) -> str:
            asset = data["asset"]
            wallet = next(w for w in open_user_accounts(user=user) if w.asset_id == asset.pk)
            posted = credit(
                account=wallet,
                amount=to_minor_units(data["amount"], scale=asset.scale),
                type=TransactionType.BONUS,
                source=AccountPurpose.BONUS,
                description=data["reason"],
                initiated_by=request.user,
            )
            return f"Bonus #{posted.pk} of {data['amount']} {asset.code}: {data['reason']}"

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=BonusForm,
            title="Grant a bonus",
            notice="Posts a BONUS transaction from the BONUS account to each selected user's "
            "wallet, through the posting engine, in your name.",
            perform=perform,
        )

    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]
