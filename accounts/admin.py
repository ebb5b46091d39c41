from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from accounts import roles
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import RefreshTokenFamily, User
from accounts.services import revoke_token_families
from core.admin import ReasonForm, confirmed_action
from core.amounts import format_amount
from ledger.approvals import held_for_approval
from ledger.forms import AmountField, clean_amount
from ledger.models import AccountPurpose, Asset, TransactionType
from ledger.services import credit, open_user_accounts


class BonusForm(ReasonForm):
    asset = forms.ModelChoiceField(Asset.objects.filter(active=True), to_field_name="code")
    amount = AmountField()

    def clean(self) -> dict:
        data = super().clean()
        minor = clean_amount(self, "amount", data.get("asset"))
        if minor is not None:
            data["amount"] = minor
        return data


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

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if roles.may_edit_roles(request.user, obj):
            return readonly
        return [*readonly, *roles.ROLE_FIELDS]  # left out of the form: a POST cannot set them

    def has_change_permission(self, request, obj=None) -> bool:
        # Also guards the password change page, which asks this question.
        return super().has_change_permission(request, obj) and roles.may_manage_user(
            request.user, obj
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and roles.may_manage_user(
            request.user, obj
        )

    def save_model(self, request, obj: User, form, change: bool) -> None:
        # The form already lacks the role fields for such an editor; this holds whatever
        # else (a later form, action or inline) might set them.
        stored = User.objects.get(pk=obj.pk) if change else User()
        flags = ["is_staff", "is_superuser"]
        changed = any(getattr(stored, flag) != getattr(obj, flag) for flag in flags)
        if changed and not roles.may_edit_roles(request.user, obj):
            raise PermissionDenied("Only a superuser changes roles, and not their own.")
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change: bool) -> None:
        relations = {"groups", "user_permissions"} & set(form.changed_data)
        if relations and not roles.may_edit_roles(request.user, form.instance):
            raise PermissionDenied("Only a superuser changes roles, and not their own.")
        super().save_related(request, form, formsets, change)

    def has_bonus_permission(self, request) -> bool:
        return request.user.has_perm(roles.CREDIT_ANY_WALLET)

    @admin.action(description="Grant a bonus to the selected users", permissions=["bonus"])
    def grant_bonus(self, request, queryset):
        def perform(user: User, data: dict) -> str:
            asset = data["asset"]
            wallet = next(w for w in open_user_accounts(user=user) if w.asset_id == asset.pk)
            waiting = held_for_approval(
                kind="bonus",
                account=wallet,
                amount=data["amount"],
                reason=data["reason"],
                requested_by=request.user,
            )
            if waiting:  # above the threshold: a second staff member approves it
                self.message_user(request, f"{user}: {waiting}")
                return waiting
            posted = credit(
                account=wallet,
                amount=data["amount"],
                type=TransactionType.BONUS,
                source=AccountPurpose.BONUS,
                description=data["reason"],
                initiated_by=request.user,
            )
            shown = format_amount(data["amount"], scale=asset.scale)
            return f"Bonus #{posted.pk} of {shown} {asset.code}: {data['reason']}"

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


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin):
    """Groups are the roles: a permission added to one is granted to every member (the
    editor included), so only superusers add, change or delete them; others may view."""

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(RefreshTokenFamily)
class RefreshTokenFamilyAdmin(admin.ModelAdmin):
    """One row per login; revoking one logs that session out at its next refresh."""

    list_display = ["user", "created_at", "rotated_at", "expires_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email"]
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_user")

    @admin.action(description="Revoke the selected sessions", permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        revoked = revoke_token_families(families=queryset)
        self.message_user(request, f"Revoked {revoked} session(s).")
