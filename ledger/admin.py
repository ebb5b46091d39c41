"""The ledger in the admin: everything visible, nothing editable. Value moves only
through the actions below, which call the ledger's services (and so the posting
engine) in the acting staff user's name, after a confirmation with a reason."""

from collections.abc import Callable
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import partial
from operator import attrgetter
from typing import ClassVar, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RangeDateFilter, RangeNumericListFilter
from unfold.decorators import action
from unfold.utils import parse_date_str
from unfold.widgets import UnfoldAdminSelectWidget

from core.admin import (
    Queued,
    ReasonForm,
    confirmed_action,
    confirmed_object_action,
    get_object_or_404,
    html_table,
    link,
)
from core.amounts import format_amount, to_signed_minor_units
from core.exports import ExportsMixin
from ledger import approvals, permissions, services
from ledger.exports import (
    EntryResource,
    TransactionResource,
    WalletStatementMixin,
    entries_for_export,
    transactions_for_export,
    with_entries,
)
from ledger.forms import AmountField, amounts_form, clean_amount
from ledger.models import (
    Account,
    AccountStatus,
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


class ReadOnlyAdmin(AmountsInUnits, ModelAdmin):
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


def party_link(account: Account) -> SafeString:
    """A party, linked to the user's page (a system account to its own page)."""
    if account.user is not None:
        return link(
            reverse("admin:accounts_user_change", args=[account.user.pk]), account.user.email
        )
    return link(reverse("admin:ledger_account_change", args=[account.pk]), party(account))


def balance_change(account: Account, delta: int) -> SafeString:
    """What posting `delta` to a wallet changes, for a confirmation: its balance before and
    after, and whether the engine will refuse it (it checks again under its lock)."""
    after = account.balance + delta
    refusal = ""
    if delta < 0 and -delta > account.available:
        refusal = (
            f"Will be refused (insufficient_funds): only {amount(account.available, account.asset)}"
            " is available."
        )
    return format_html(
        '<p class="balance-change"><strong>{}</strong> {} wallet #{}: balance '
        '<span data-balance="before">{}</span> &rarr; <span data-balance="after">{}</span> {}'
        "</p>{}",
        party(account),
        account.asset.code,
        account.pk,
        amount(account.balance, account.asset),
        amount(after, account.asset),
        account.asset.code,
        format_html('<p class="errornote">{}</p>', refusal) if refusal else "",
    )


# The operations behind the admin's actions, whether started from a list's selection or
# from the object's own page: one service call each, in the staff user's name.


def transaction_link(pk: int) -> SafeString:
    """#pk, linked to the transaction's admin page (in the wallet and user pages' tables)."""
    return link(reverse("admin:ledger_transaction_change", args=[pk]), f"#{pk}")


def post_adjustment(*, account: Account, text: str, reason: str, by) -> str:
    minor = to_signed_minor_units(text, scale=account.asset.scale)
    waiting = approvals.held_for_approval(
        kind="adjustment", account=account, amount=minor, reason=reason, requested_by=by
    )
    if waiting:  # above the threshold: a second staff member approves it
        return Queued(waiting)
    posted = services.adjust(account=account, amount=minor, reason=reason, initiated_by=by)
    shown = format_amount(minor, scale=account.asset.scale)
    return f"Adjustment #{posted.pk} of {shown} {account.asset}: {reason}"


def set_status(*, account: Account, status: str, reason: str) -> str:
    services.set_account_status(account=account, status=status)
    return f"Status {status}: {reason}"


def reverse_posted(*, txn: Transaction, reason: str, by) -> str:
    reversal = services.reverse_transaction(transaction_id=txn.pk, reason=reason, initiated_by=by)
    return f"Reversed by #{reversal.pk}: {reason}"


REVERSAL_NOTICE = (
    "Posts a REVERSAL transaction for each selected transaction, through the posting engine, "
    "in your name: each entry below is posted again with the opposite sign. It is refused if "
    "a wallet no longer has what it would give back."
)


def describe_reversal_with_balances(txn: Transaction) -> SafeString:
    """The reversal's table, then each user wallet's balance before and after it."""
    entries = list(txn.entries.select_related("account__user", "account__asset", "asset"))
    wallets = [e for e in entries if e.account.user_id]
    return format_html(
        "{}{}",
        describe_reversal(txn),
        format_html_join("", "{}", ((balance_change(e.account, -e.amount),) for e in wallets)),
    )


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
class AssetAdmin(ModelAdmin):
    list_display = ["code", "name", "scale", "transferable", "expiry_days", "active"]
    list_filter = ["active", "transferable"]
    search_fields = ["code", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Amounts are stored in minor units: a new scale or expiry would rewrite history.
        return ["code", "scale", "expiry_days"] if obj else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConversionRate)
class ConversionRateAdmin(AmountsInUnits, ModelAdmin):
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


ADJUSTMENT_NOTICE = (
    "Posts an ADJUSTMENT transaction to the wallet (against the TREASURY account), through "
    "the posting engine, in your name."
)


class AccountKindFilter(admin.SimpleListFilter):
    """Users' wallets unless asked otherwise: the system accounts (one per purpose and
    asset) are few, and rarely what an operator looks for."""

    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [("wallets", "User wallets"), ("system", "System accounts"), ("all", "All")]

    def choices(self, changelist):
        current = self.value() or "wallets"
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "all":
            return queryset
        return queryset.filter(user__isnull=self.value() == "system")


@admin.register(Account)
class AccountAdmin(WalletStatementMixin, ReadOnlyAdmin):
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
    list_filter = [AccountKindFilter, "asset", "purpose", "status"]
    search_fields = ["user__email", "label"]
    search_help_text = "A user's email (or part of it), or a donation cause."
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
        "statement",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["post_adjustment", "freeze", "unfreeze"]
    actions_detail = ["adjust_wallet", "freeze_wallet", "unfreeze_wallet"]

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
        rows = html_table(
            "wallet-entries",
            ["transaction", "type", "amount", "balance after", "at"],
            (
                (
                    str(e.transaction_id),
                    [
                        transaction_link(e.transaction_id),
                        e.transaction.type,
                        amount(e.amount, account.asset),
                        "" if e.balance_after is None else amount(e.balance_after, account.asset),
                        f"{e.created_at:%Y-%m-%d %H:%M}",
                    ],
                )
                for e in entries
            ),
        )
        everything = reverse("admin:ledger_entry_changelist") + f"?account__id__exact={account.pk}"
        return format_html(
            '{}<p class="mt-2">{}</p>', rows, link(everything, "All entries (paginated)")
        )

    # Named permissions, not dotted ones, on unfold's actions: its system check looks dotted
    # ones up in the database, which a fresh one (before `migrate`) does not have yet.
    def has_post_permission(self, request, object_id: str | None = None) -> bool:
        return request.user.has_perms([permissions.CREDIT_ANY_WALLET, permissions.DEBIT_ANY_WALLET])

    def has_freeze_permission(self, request, object_id: str | None = None) -> bool:
        return request.user.has_perm(permissions.FREEZE_WALLET)

    @admin.action(description="Post an adjustment (credit or debit)", permissions=["post"])
    def post_adjustment(self, request, queryset: QuerySet):
        wallets = queryset.filter(user__isnull=False)

        def perform(account: Account, data: dict) -> str:
            return post_adjustment(
                account=account, text=data["amount"], reason=data["reason"], by=request.user
            )

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

    @action(
        description="Post an adjustment",
        icon="tune",
        permissions=["post"],
    )
    def adjust_wallet(self, request, object_id: str):
        account = get_object_or_404(self, request, object_id)
        return adjust_from_page(self, request, account, account)

    @action(description="Freeze", icon="ac_unit", permissions=["freeze"])
    def freeze_wallet(self, request, object_id: str):
        return self._status_from_page(request, object_id, Account.Status.FROZEN)

    @action(description="Unfreeze", icon="sunny", permissions=["freeze"])
    def unfreeze_wallet(self, request, object_id: str):
        return self._status_from_page(request, object_id, Account.Status.ACTIVE)

    def _status_from_page(self, request, object_id: str, status: AccountStatus):
        account = get_object_or_404(self, request, object_id)
        return confirmed_object_action(
            self,
            request,
            account,
            form_class=StatusForm,
            title=f"Set the wallet {status}",
            notice=STATUS_NOTICES[status],
            preview=lambda account, data: format_html(
                "<p>{} {} wallet #{}: status <strong>{}</strong> &rarr; <strong>{}</strong>; "
                "balance stays {}.</p>",
                party(account),
                account.asset.code,
                account.pk,
                account.status,
                status,
                amount(account.balance, account.asset),
            ),
            perform=lambda account, data: set_status(
                account=account, status=status, reason=data["reason"]
            ),
        )

    @admin.action(description="Freeze wallets", permissions=["freeze"])
    def freeze(self, request, queryset: QuerySet):
        return self._set_status(request, queryset, Account.Status.FROZEN)

    @admin.action(description="Unfreeze wallets", permissions=["freeze"])
    def unfreeze(self, request, queryset: QuerySet):
        return self._set_status(request, queryset, Account.Status.ACTIVE)

    def _set_status(self, request, queryset: QuerySet, status: str):
        def perform(account: Account, data: dict) -> str:
            return set_status(account=account, status=status, reason=data["reason"])

        return confirmed_action(
            self,
            request,
            queryset.filter(user__isnull=False),
            form_class=StatusForm,
            title=f"Set wallets {status}",
            notice=STATUS_NOTICES[status],
            perform=perform,
        )


def adjust_from_page(modeladmin: ModelAdmin, request, obj, account: Account | None):
    """The adjustment from an object's page: a wallet's own (`account` given) or a user's
    (who picks the asset, so the wallet, in the form)."""
    form_class: Callable[..., forms.Form]
    if account is not None:
        form_class = partial(AdjustmentForm, assets=[account.asset])
    else:
        form_class = partial(WalletAdjustmentForm, user=obj)

    def wallet_of(data: dict) -> Account:
        return account if account is not None else data["wallet"]

    return confirmed_object_action(
        modeladmin,
        request,
        obj,
        form_class=form_class,
        title="Post an adjustment",
        notice=ADJUSTMENT_NOTICE,
        preview=lambda obj, data: balance_change(
            wallet_of(data),
            to_signed_minor_units(data["amount"], scale=wallet_of(data).asset.scale),
        ),
        perform=lambda obj, data: post_adjustment(
            account=wallet_of(data), text=data["amount"], reason=data["reason"], by=request.user
        ),
    )


class WalletAdjustmentForm(ReasonForm):
    """An adjustment to one of a user's wallets, picked by its asset."""

    wallet = forms.ModelChoiceField(Account.objects.none(), widget=UnfoldAdminSelectWidget)
    amount = AmountField(help_text="Signed, in the asset's units: 25 or +25 credits, -25 debits.")
    field_order = ["wallet", "amount", "reason"]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        wallets = Account.objects.filter(user=user).select_related("asset", "user")
        field = cast(forms.ModelChoiceField, self.fields["wallet"])
        field.queryset = wallets.order_by("asset__code")
        field.label_from_instance = lambda wallet: (  # type: ignore[assignment]
            f"{wallet.asset.code} (balance {amount(wallet.balance, wallet.asset)})"
        )

    def clean(self) -> dict:
        super().clean()
        wallet = self.cleaned_data.get("wallet")
        if wallet is not None:
            clean_amount(self, "amount", wallet.asset, parse=to_signed_minor_units)
        return self.cleaned_data


class EntryInline(AmountsInUnits, TabularInline):
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


def wallet_day_start(day) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(settings.WALLET_TIME_ZONE))


class WalletDayRangeFilter(RangeDateFilter):
    """From and to (inclusive) wallet days, as the daily totals count them."""

    def queryset(self, request, queryset: QuerySet) -> QuerySet | None:
        days = {}
        for end in ("from", "to"):
            text = self.used_parameters.get(f"{self.parameter_name}_{end}")
            if text:
                parsed = parse_date_str(text)
                if parsed is None:
                    return None
                days[end] = parsed
        if "from" in days:
            queryset = queryset.filter(created_at__gte=wallet_day_start(days["from"]))
        if "to" in days:
            queryset = queryset.filter(
                created_at__lt=wallet_day_start(days["to"] + timedelta(days=1))
            )
        return queryset


class TransactionAssetFilter(admin.SimpleListFilter):
    title = "asset"
    parameter_name = "asset"

    def lookups(self, request, model_admin):
        return [(asset.code, asset.code) for asset in Asset.objects.order_by("code")]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        return queryset.filter(
            Exists(Entry.objects.filter(transaction=OuterRef("pk"), asset__code=self.value()))
        )


class AmountRangeFilter(RangeNumericListFilter):
    """Transactions moving an amount (what one side is credited) within the range, in the
    asset's units: each asset's bounds are scaled to its minor units."""

    title = "amount (in the asset's units)"
    parameter_name = "amount"

    def queryset(self, request, queryset: QuerySet) -> QuerySet | None:
        bounds = {}
        for end in ("from", "to"):
            text = self.used_parameters.get(f"{self.parameter_name}_{end}")
            if text not in (None, ""):
                try:
                    bounds[end] = Decimal(str(text))
                except InvalidOperation:
                    return None
        if not bounds:
            return queryset
        within = Q()
        for asset in Asset.objects.all():
            scaled = {end: int(value.scaleb(asset.scale)) for end, value in bounds.items()}
            one = Q(asset_id=asset.pk, amount__gt=0)
            if "from" in scaled:
                one &= Q(amount__gte=scaled["from"])
            if "to" in scaled:
                one &= Q(amount__lte=scaled["to"])
            within |= one
        return queryset.filter(Exists(Entry.objects.filter(within, transaction=OuterRef("pk"))))


def moved(txn: Transaction) -> list[tuple[Asset, int]]:
    """What a transaction moved, per asset: the sum of its credits."""
    credited: dict[Asset, int] = {}
    for entry in txn.entries.all():
        credited[entry.asset] = credited.get(entry.asset, 0) + max(entry.amount, 0)
    return list(credited.items())


@admin.register(Transaction)
class TransactionAdmin(ExportsMixin, ReadOnlyAdmin):
    export_resource = TransactionResource

    list_display = [
        "id",
        "type",
        "amount_moved",
        "parties",
        "initiated_by",
        "created_at",
        "reference",
        "reverses",
    ]
    list_filter = [
        "type",
        TransactionAssetFilter,
        ("created_at", WalletDayRangeFilter),
        AmountRangeFilter,
    ]
    list_filter_submit = True  # the range filters apply on a button, not on each keystroke
    search_fields = ["reference"]  # shows the search bar; get_search_results does the work
    search_help_text = "A user's email, a reference, an idempotency key or a transaction id."
    list_select_related = ["initiated_by"]
    inlines = [EntryInline]
    actions = ["reverse"]
    actions_detail = ["reverse_here"]
    show_full_result_count = False  # no COUNT(*) over millions of rows per page

    def get_queryset(self, request):
        # Every row's entries with their parties and assets in one more query per page (or
        # per chunk of an export, which starts from this queryset).
        return with_entries(super().get_queryset(request))

    def get_export_queryset(self, request, queryset):
        return transactions_for_export(queryset)

    def get_search_results(self, request, queryset: QuerySet, search_term: str):
        """Exact matches through indexes, never a scan of the ledger: an email finds the
        transactions touching that user's wallets; anything else a reference, an
        idempotency key or (digits) an id."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            touched = Entry.objects.filter(account__user__email__iexact=term)
            return queryset.filter(pk__in=touched.values("transaction_id")), False
        found = Q(reference=term) | Q(idempotency_key=term)
        if term.isdigit() and int(term) < 2**63:
            found |= Q(pk=int(term))
        return queryset.filter(found), False

    @admin.display(description="amount")
    def amount_moved(self, txn: Transaction) -> str:
        return ", ".join(f"{amount(total, asset)} {asset.code}" for asset, total in moved(txn))

    @admin.display(description="from → to")
    def parties(self, txn: Transaction) -> SafeString:
        entries = list(txn.entries.all())
        debited = [party_link(e.account) for e in entries if e.amount < 0]
        credited = [party_link(e.account) for e in entries if e.amount > 0]
        return format_html(
            "{} &rarr; {}",
            format_html_join(", ", "{}", ((p,) for p in debited)),
            format_html_join(", ", "{}", ((p,) for p in credited)),
        )

    @action(description="Reverse", icon="undo", permissions=["reverse"])
    def reverse_here(self, request, object_id: str):
        txn = get_object_or_404(self, request, object_id)
        return confirmed_object_action(
            self,
            request,
            txn,
            form_class=ReasonForm,
            title="Reverse the transaction",
            notice=REVERSAL_NOTICE,
            preview=lambda txn, data: describe_reversal_with_balances(txn),
            perform=lambda txn, data: reverse_posted(
                txn=txn, reason=data["reason"], by=request.user
            ),
        )

    def has_reverse_permission(self, request, object_id: str | None = None) -> bool:
        return request.user.has_perm(permissions.REVERSE_TRANSACTION)

    @admin.action(description="Reverse transactions", permissions=["reverse"])
    def reverse(self, request, queryset: QuerySet):
        def perform(txn: Transaction, data: dict) -> str:
            return reverse_posted(txn=txn, reason=data["reason"], by=request.user)

        # The queryset comes with its entries (get_queryset).
        return confirmed_action(
            self,
            request,
            queryset.select_related("reversal"),
            form_class=ReasonForm,
            title="Reverse transactions",
            notice=REVERSAL_NOTICE,
            perform=perform,
            describe=describe_reversal,
        )


@admin.register(Entry)
class EntryAdmin(ExportsMixin, ReadOnlyAdmin):
    export_resource = EntryResource

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

    def get_export_queryset(self, request, queryset):
        return entries_for_export(queryset)


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
