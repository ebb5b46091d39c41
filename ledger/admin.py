"""The ledger in the admin: everything visible, nothing editable. Value moves only
through the actions below, which call the ledger's services (and so the posting
engine) in the acting staff user's name, after a confirmation with a reason."""

from functools import partial
from operator import attrgetter
from typing import ClassVar

from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin import ReasonForm, confirmed_action
from core.amounts import format_amount, to_signed_minor_units
from ledger import permissions, services
from ledger.forms import AmountField, amounts_form, clean_amount
from ledger.models import (
    Account,
    Asset,
    ConversionRate,
    DailyTotal,
    Entry,
    Hold,
    Lot,
    OutboxEvent,
    ReconciliationRun,
    Transaction,
)
from ledger.selectors import get_account_balance

RECENT_ENTRIES = 20


def units_name(field: str) -> str:
    """The admin attribute showing a minor-unit field in its asset's units."""
    return f"{field}_in_units"


def _units_column(field: str, asset_path: str):
    asset_of = attrgetter(asset_path)

    @admin.display(description=field.replace("_", " "), ordering=field)
    def show(modeladmin, row) -> str:
        value = getattr(row, field)
        return "" if value is None else format_amount(value, scale=asset_of(row).scale)

    return show


class AmountsInUnits:
    """Admin mixin: the minor-unit fields in `amounts` (field -> dotted path from the row
    to its asset) are listed, shown on view-only pages and typed in forms in the asset's
    units, never as raw minor units (525 for 5.25 COIN)."""

    amounts: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        for field, asset_path in cls.amounts.items():
            setattr(cls, units_name(field), _units_column(field, asset_path))
        # A form can offer only an asset that is a field of the row itself.
        editable = {field: path for field, path in cls.amounts.items() if "." not in path}
        if editable:
            cls.form = amounts_form(editable)

    def _in_units(self, names) -> list:
        return [units_name(name) if name in self.amounts else name for name in names]

    def get_list_display(self, request):
        return self._in_units(super().get_list_display(request))

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fields
        # A view-only page shows each field as it is stored unless told otherwise.
        return self._in_units(fields)


class ReadOnlyAdmin(AmountsInUnits, admin.ModelAdmin):
    """Ledger rows: no add, change or delete for anyone, superusers included."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def amount(value: int, asset: Asset) -> str:
    return format_amount(value, scale=asset.scale)


def party(account: Account) -> str:
    """Who holds an account: the user's email, or the system purpose (and label)."""
    if account.user_id:
        return account.user.email
    return f"{account.purpose}:{account.label}" if account.label else account.purpose


def describe_reversal(txn: Transaction) -> str:
    """What reversing a transaction moves, for its confirmation page: the amount per asset,
    and each entry's party with its signed amount and the reversal's opposite one."""
    entries = list(txn.entries.all())
    credited: dict[Asset, int] = {}
    for entry in entries:
        credited[entry.asset] = credited.get(entry.asset, 0) + max(entry.amount, 0)
    moved = ", ".join(f"{amount(total, asset)} {asset.code}" for asset, total in credited.items())
    warning = ""
    if txn.type == Transaction.Type.REVERSAL:
        warning = "A reversal is not reversed (post an adjustment): this one will be refused."
    elif getattr(txn, "reversal", None) is not None:
        warning = f"Already reversed by #{txn.reversal.pk}: this one will be refused."
    return format_html(
        "<strong>#{} {}</strong> of {}, reference {}, {} {}{}"
        "<table><thead><tr><th>account</th><th>party</th><th>asset</th><th>amount</th>"
        "<th>reversal posts</th></tr></thead><tbody>{}</tbody></table>",
        txn.pk,
        txn.type,
        moved,
        txn.reference or "(none)",
        f"{txn.created_at:%Y-%m-%d %H:%M}",
        f"({txn.description})" if txn.description else "",
        format_html('<p class="errornote">{}</p>', warning) if warning else "",
        format_html_join(
            "",
            "<tr><td>#{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    e.account_id,
                    party(e.account),
                    e.asset.code,
                    amount(e.amount, e.asset),
                    amount(-e.amount, e.asset),
                )
                for e in entries
            ),
        ),
    )


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "scale", "transferable", "expiry_days", "active"]
    list_filter = ["active", "transferable"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Amounts are stored in minor units: a new scale or expiry would rewrite history.
        return ["code", "scale", "expiry_days"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConversionRate)
class ConversionRateAdmin(AmountsInUnits, admin.ModelAdmin):
    amounts = {"from_amount": "from_asset", "to_amount": "to_asset"}
    list_display = ["__str__", "active"]
    list_filter = ["active", "from_asset", "to_asset"]
    list_select_related = ["from_asset", "to_asset"]


# Freezing changes a wallet's status only: nothing is posted to the ledger.
STATUS_NOTICES = {
    Account.Status.FROZEN: "Sets each selected wallet's status to FROZEN; no transaction is "
    "posted. A frozen wallet refuses its owner's debits and transfers (wallet_frozen); staff "
    "adjustments, reversals and expiry still apply.",
    Account.Status.ACTIVE: "Sets each selected wallet's status back to ACTIVE; no transaction "
    "is posted.",
}


class StatusForm(ReasonForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = "Recorded in the admin history."


class AdjustmentForm(ReasonForm):
    amount = AmountField(help_text="Signed, in the asset's units: 25 or +25 credits, -25 debits.")

    def __init__(self, *args, assets: list[Asset], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.assets = assets

    def clean(self) -> dict:
        data = super().clean()
        # Checked against every selected wallet's asset before anything is posted.
        for asset in self.assets:
            if clean_amount(self, "amount", asset, parse=to_signed_minor_units) is None:
                break
        return data


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "owner",
        "asset",
        "purpose",
        "status",
        "shown_balance",
        "shown_held",
        "shown_available",
    ]
    list_filter = ["asset", "purpose", "status"]
    search_fields = ["user__email", "label"]
    list_select_related = ["user", "asset"]
    ordering = ["id"]
    readonly_fields = [
        "owner",
        "asset",
        "purpose",
        "label",
        "status",
        "full_balance",
        "shown_held",
        "shown_available",
        "pending_holds",
        "open_lots",
        "recent_entries",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["post_adjustment", "freeze", "unfreeze"]

    @admin.display(description="owner", ordering="user__email")
    def owner(self, account: Account) -> str:
        return account.user.email if account.user_id else f"system: {account.label or '-'}"

    @admin.display(description="balance")
    def shown_balance(self, account: Account) -> str:
        # A system balance is a sum over its entries: worth it on one page, not per list row.
        return "(on its page)" if account.is_system else amount(account.balance, account.asset)

    @admin.display(description="balance")
    def full_balance(self, account: Account) -> str:
        return amount(get_account_balance(account), account.asset)

    @admin.display(description="held")
    def shown_held(self, account: Account) -> str:
        return amount(account.held, account.asset)

    @admin.display(description="available")
    def shown_available(self, account: Account) -> str:
        return "" if account.is_system else amount(account.available, account.asset)

    @admin.display(description="pending holds")
    def pending_holds(self, account: Account):
        holds = account.holds.filter(status=Hold.Status.PENDING).order_by("id")
        return (
            format_html_join(
                "",
                "<div>#{} {} ({}) until {}</div>",
                (
                    (h.pk, amount(h.amount, account.asset), h.reference or "-", h.expires_at or "-")
                    for h in holds
                ),
            )
            or "none"
        )

    @admin.display(description="open lots")
    def open_lots(self, account: Account):
        lots = account.lots.filter(remaining__gt=0).order_by("expires_at")[:RECENT_ENTRIES]
        return (
            format_html_join(
                "",
                "<div>{} of {} until {}</div>",
                (
                    (
                        amount(lot.remaining, account.asset),
                        amount(lot.amount, account.asset),
                        lot.expires_at,
                    )
                    for lot in lots
                ),
            )
            or "none"
        )

    @admin.display(description=f"last {RECENT_ENTRIES} entries")
    def recent_entries(self, account: Account):
        entries = (account.entries.select_related("transaction").order_by("-transaction_id"))[
            :RECENT_ENTRIES
        ]
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>#{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:ledger_transaction_change", args=[e.transaction_id]),
                    e.transaction_id,
                    e.transaction.type,
                    amount(e.amount, account.asset),
                    "" if e.balance_after is None else amount(e.balance_after, account.asset),
                    f"{e.created_at:%Y-%m-%d %H:%M}",
                )
                for e in entries
            ),
        )
        everything = reverse("admin:ledger_entry_changelist") + f"?account__id__exact={account.pk}"
        return format_html(
            "<table>{}</table><a href='{}'>All entries (paginated)</a>", rows, everything
        )

    def has_post_permission(self, request) -> bool:
        return request.user.has_perms([permissions.CREDIT_ANY_WALLET, permissions.DEBIT_ANY_WALLET])

    def has_freeze_permission(self, request) -> bool:
        return request.user.has_perm(permissions.FREEZE_WALLET)

    @admin.action(description="Post an adjustment (credit or debit)", permissions=["post"])
    def post_adjustment(self, request, queryset: QuerySet):
        wallets = queryset.filter(user__isnull=False)

        def perform(account: Account, data: dict) -> str:
            minor = to_signed_minor_units(data["amount"], scale=account.asset.scale)
            posted = services.adjust(
                account=account, amount=minor, reason=data["reason"], initiated_by=request.user
            )
            shown = format_amount(minor, scale=account.asset.scale)
            return f"Adjustment #{posted.pk} of {shown} {account.asset}: {data['reason']}"

        assets = list(Asset.objects.filter(accounts__in=wallets).distinct())
        return confirmed_action(
            self,
            request,
            wallets,
            form_class=partial(AdjustmentForm, assets=assets),
            title="Post an adjustment",
            notice="Posts an ADJUSTMENT transaction to each selected wallet (against the "
            "TREASURY account), through the posting engine, in your name.",
            perform=perform,
        )

    @admin.action(description="Freeze wallets", permissions=["freeze"])
    def freeze(self, request, queryset: QuerySet):
        return self._set_status(request, queryset, Account.Status.FROZEN)

    @admin.action(description="Unfreeze wallets", permissions=["freeze"])
    def unfreeze(self, request, queryset: QuerySet):
        return self._set_status(request, queryset, Account.Status.ACTIVE)

    def _set_status(self, request, queryset: QuerySet, status: str):
        def perform(account: Account, data: dict) -> str:
            services.set_account_status(account=account, status=status)
            return f"Status {status}: {data['reason']}"

        return confirmed_action(
            self,
            request,
            queryset.filter(user__isnull=False),
            form_class=StatusForm,
            title=f"Set wallets {status}",
            notice=STATUS_NOTICES[status],
            perform=perform,
        )


class EntryInline(AmountsInUnits, admin.TabularInline):
    model = Entry
    amounts = {"amount": "asset", "balance_after": "asset"}
    fields = ["account", "asset", units_name("amount"), units_name("balance_after")]
    readonly_fields = fields
    can_delete = False
    extra = 0

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account__user", "asset")


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "type",
        "reference",
        "description",
        "initiated_by",
        "created_at",
        "idempotency_key",
        "reverses",
    ]
    list_filter = ["type", "created_at"]
    search_fields = ["=id", "reference", "idempotency_key", "description"]
    date_hierarchy = "created_at"
    list_select_related = ["initiated_by"]
    inlines = [EntryInline]
    actions = ["reverse"]
    show_full_result_count = False  # no COUNT(*) over millions of rows per page

    def has_reverse_permission(self, request) -> bool:
        return request.user.has_perm(permissions.REVERSE_TRANSACTION)

    @admin.action(description="Reverse transactions", permissions=["reverse"])
    def reverse(self, request, queryset: QuerySet):
        def perform(txn: Transaction, data: dict) -> str:
            reversal = services.reverse_transaction(
                transaction_id=txn.pk, reason=data["reason"], initiated_by=request.user
            )
            return f"Reversed by #{reversal.pk}: {data['reason']}"

        entries = Entry.objects.select_related("account__user", "asset").order_by("id")
        return confirmed_action(
            self,
            request,
            queryset.select_related("reversal").prefetch_related(Prefetch("entries", entries)),
            form_class=ReasonForm,
            title="Reverse transactions",
            notice="Posts a REVERSAL transaction for each selected transaction, through the "
            "posting engine, in your name: each entry below is posted again with the opposite "
            "sign. It is refused if a wallet no longer has what it would give back.",
            perform=perform,
            describe=describe_reversal,
        )


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    amounts = {"amount": "asset", "balance_after": "asset"}
    list_display = [
        "id",
        "transaction",
        "account",
        "asset",
        "amount",
        "balance_after",
        "created_at",
    ]
    list_filter = ["asset"]
    search_fields = ["=transaction__id", "account__user__email"]
    list_select_related = ["transaction", "account__user", "account__asset", "asset"]
    show_full_result_count = False


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    amounts = {"amount": "account.asset", "captured_amount": "account.asset"}
    list_display = [
        "id",
        "account",
        "amount",
        "captured_amount",
        "status",
        "reference",
        "expires_at",
        "created_at",
    ]
    list_filter = ["status"]
    search_fields = ["reference", "account__user__email"]
    list_select_related = ["account__user", "account__asset"]


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    amounts = {"amount": "account.asset", "remaining": "account.asset"}
    list_display = ["id", "account", "amount", "remaining", "expires_at"]
    search_fields = ["account__user__email"]
    list_select_related = ["account__user", "account__asset"]


@admin.register(DailyTotal)
class DailyTotalAdmin(ReadOnlyAdmin):
    amounts = {"credited": "asset", "debited": "asset"}
    list_display = ["day", "account", "type", "credited", "debited", "entries"]
    list_filter = ["type", "asset"]
    date_hierarchy = "day"
    list_select_related = ["account__user", "account__asset", "asset"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "topic", "version", "partition", "created_at", "published_at", "attempts"]
    list_filter = ["topic", ("published_at", admin.EmptyFieldListFilter)]


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = ["id", "started_at", "finished_at", "ok"]
    list_filter = ["ok"]
