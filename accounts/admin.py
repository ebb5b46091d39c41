from urllib.parse import quote

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from unfold.admin import ModelAdmin
from unfold.decorators import action
from unfold.forms import AdminPasswordChangeForm
from unfold.widgets import UnfoldAdminSelectWidget

from accounts import roles
from accounts.forms import UserChangeAdminForm, UserCreationAdminForm
from accounts.models import RefreshTokenFamily, User
from accounts.services import revoke_token_families
from core.admin import (
    Queued,
    ReasonForm,
    confirmed_action,
    confirmed_object_action,
    get_object_or_404,
    html_table,
    link,
)
from core.amounts import format_amount
from ledger.admin import adjust_from_page, amount, balance_change, transaction_link
from ledger.approvals import held_for_approval
from ledger.forms import AmountField, clean_amount
from ledger.models import Account, AccountPurpose, Asset, Entry, Hold, TransactionType
from ledger.permissions import CREDIT_ANY_WALLET, DEBIT_ANY_WALLET
from ledger.services import credit, open_user_accounts

RECENT = 20
BONUS_NOTICE = (
    "Posts a BONUS transaction from the BONUS account to the user's wallet, through the "
    "posting engine, in your name."
)


class BonusForm(ReasonForm):
    asset = forms.ModelChoiceField(
        Asset.objects.filter(active=True), to_field_name="code", widget=UnfoldAdminSelectWidget
    )
    amount = AmountField()

    def clean(self) -> dict:
        data = super().clean()
        minor = clean_amount(self, "amount", data.get("asset"))
        if minor is not None:
            data["amount"] = minor
        return data


def bonus_wallet(user: User, asset: Asset) -> Account:
    return next(w for w in open_user_accounts(user=user) if w.asset_id == asset.pk)


def grant_bonus(*, user: User, asset: Asset, minor: int, reason: str, by) -> str:
    wallet = bonus_wallet(user, asset)
    waiting = held_for_approval(
        kind="bonus", account=wallet, amount=minor, reason=reason, requested_by=by
    )
    if waiting:  # above the threshold: a second staff member approves it
        return Queued(waiting)
    posted = credit(
        account=wallet,
        amount=minor,
        type=TransactionType.BONUS,
        source=AccountPurpose.BONUS,
        description=reason,
        initiated_by=by,
    )
    return f"Bonus #{posted.pk} of {format_amount(minor, scale=asset.scale)} {asset.code}: {reason}"


@admin.register(User)
class UserAdmin(BaseUserAdmin, ModelAdmin):
    add_form = UserCreationAdminForm
    change_password_form = AdminPasswordChangeForm
    form = UserChangeAdminForm
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff", "date_joined"]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["email", "name"]
    fieldsets = [
        ("Wallets", {"fields": ["wallets", "recent_transactions", "pending_holds"]}),
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name"]}),
        (
            "Permissions",
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["grant_bonus"]
    actions_detail = ["adjust_here", "bonus_here"]
    wallet_panels = ["wallets", "recent_transactions", "pending_holds"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # A user being added has no wallets yet (add_fieldsets apply then).
        return fieldsets if obj else [f for f in fieldsets if f[0] != "Wallets"]

    @admin.display(description="wallets")
    def wallets(self, user: User) -> SafeString:
        wallets = Account.objects.filter(user=user).select_related("asset").order_by("asset")
        entries = reverse("admin:ledger_entry_changelist")
        return html_table(
            "user-wallets",
            ["wallet", "asset", "balance", "held", "available", "status", "entries"],
            (
                (
                    w.asset.code,
                    [
                        link(reverse("admin:ledger_account_change", args=[w.pk]), f"#{w.pk}"),
                        w.asset.code,
                        amount(w.balance, w.asset),
                        amount(w.held, w.asset),
                        amount(w.available, w.asset),
                        w.status,
                        link(f"{entries}?account__id__exact={w.pk}", "all entries"),
                    ],
                )
                for w in wallets
            ),
        )

    @admin.display(description=f"last {RECENT} transactions")
    def recent_transactions(self, user: User) -> SafeString:
        # Through the entries' (account, transaction) index, wallet by wallet.
        entries = (
            Entry.objects.filter(account__user=user)
            .select_related("transaction", "asset")
            .order_by("-transaction_id")[:RECENT]
        )
        listing = reverse("admin:ledger_transaction_changelist") + f"?q={quote(user.email)}"
        rows = html_table(
            "user-transactions",
            ["transaction", "type", "amount", "reference", "at"],
            (
                (
                    str(e.transaction_id),
                    [
                        transaction_link(e.transaction_id),
                        e.transaction.type,
                        f"{amount(e.amount, e.asset)} {e.asset.code}",
                        e.transaction.reference,
                        f"{e.transaction.created_at:%Y-%m-%d %H:%M}",
                    ],
                )
                for e in entries
            ),
        )
        return format_html('{}<p class="mt-2">{}</p>', rows, link(listing, "All of them"))

    @admin.display(description="pending holds")
    def pending_holds(self, user: User) -> SafeString:
        holds = Hold.objects.filter(account__user=user, status=Hold.Status.PENDING)
        holds = holds.select_related("account__asset").order_by("id")
        return html_table(
            "user-holds",
            ["hold", "amount", "reference", "expires"],
            (
                (
                    str(h.pk),
                    [
                        link(reverse("admin:ledger_hold_change", args=[h.pk]), f"#{h.pk}"),
                        f"{amount(h.amount, h.account.asset)} {h.account.asset.code}",
                        h.reference,
                        f"{h.expires_at:%Y-%m-%d %H:%M}" if h.expires_at else "-",
                    ],
                )
                for h in holds
            ),
        )

    @action(
        description="Post an adjustment",
        icon="tune",
        permissions=["post"],
    )
    def adjust_here(self, request, object_id: str):
        user = get_object_or_404(self, request, object_id)
        return adjust_from_page(self, request, user, None)

    @action(description="Grant a bonus", icon="redeem", permissions=["bonus"])
    def bonus_here(self, request, object_id: str):
        user = get_object_or_404(self, request, object_id)

        def preview(user: User, data: dict) -> SafeString:
            # Reads only: a wallet not opened yet shows as an empty one.
            asset = data["asset"]
            wallet = Account.objects.filter(user=user, asset=asset).first()
            return balance_change(wallet or Account(user=user, asset=asset), data["amount"])

        return confirmed_object_action(
            self,
            request,
            user,
            form_class=BonusForm,
            title="Grant a bonus",
            notice=BONUS_NOTICE,
            preview=preview,
            perform=lambda user, data: grant_bonus(
                user=user,
                asset=data["asset"],
                minor=data["amount"],
                reason=data["reason"],
                by=request.user,
            ),
        )

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        readonly = [*super().get_readonly_fields(request, obj), *self.wallet_panels]
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

    # Named permissions on unfold's actions (see ledger.admin.AccountAdmin).
    def has_bonus_permission(self, request, object_id: str | None = None) -> bool:
        return request.user.has_perm(roles.CREDIT_ANY_WALLET)

    def has_post_permission(self, request, object_id: str | None = None) -> bool:
        return request.user.has_perms([CREDIT_ANY_WALLET, DEBIT_ANY_WALLET])

    @admin.action(description="Grant a bonus to the selected users", permissions=["bonus"])
    def grant_bonus(self, request, queryset):
        def perform(user: User, data: dict) -> str:
            return grant_bonus(
                user=user,
                asset=data["asset"],
                minor=data["amount"],
                reason=data["reason"],
                by=request.user,
            )

        return confirmed_action(
            self,
            request,
            queryset,
            form_class=BonusForm,
            title="Grant a bonus",
            notice=BONUS_NOTICE,
            perform=perform,
        )

    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["email", "name", "password1", "password2"]})
    ]


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    """Groups are the roles: a permission added to one is granted to every member (the
    editor included), so only superusers add, change or delete them; others may view."""

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


@admin.register(RefreshTokenFamily)
class RefreshTokenFamilyAdmin(ModelAdmin):
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
