"""What the ledger's admin lists export (core.exports streams them): transactions,
entries, and one wallet's statement. Amounts are Decimals in the asset's units, as the
admin shows them; a transaction's amount is what it credited, per asset."""

from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.fields import Field
from import_export.resources import Resource

from core.amounts import format_amount
from core.exports import FORMATS, ExportOrder, ExportSource, export_or_start
from ledger.models import Account, Entry, Transaction


def units(value: int | None, scale: int) -> Decimal | None:
    return None if value is None else Decimal(format_amount(value, scale=scale))


def holder(account: Account) -> str:
    """Who holds an account: the user's email, or the system purpose (and label)."""
    if account.user is not None:
        return account.user.email
    return f"{account.purpose}:{account.label}" if account.label else account.purpose


def with_entries(transactions: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """Transactions with their entries, parties and assets fetched a chunk at a time."""
    entries = Entry.objects.select_related("account__user", "asset").order_by("id")
    return transactions.select_related("initiated_by").prefetch_related(
        Prefetch("entries", entries)
    )


# What the exports read of a party, and of an entry's asset: exports load these columns
# only. A model's other columns (metadata, a user's password and dates) cost a parse and
# a Python value per row for nothing; at 10^6 rows that is most of an export's time.
PARTY = ["account", "account__purpose", "account__label", "account__user__email"]
ASSET = ["asset", "asset__code", "asset__scale"]
# An entry's own row, in the entries list and in a wallet's statement alike.
ENTRY = [
    "created_at",
    "amount",
    "balance_after",
    "transaction",
    "transaction__type",
    "transaction__reference",
]


def transactions_for_export(transactions: QuerySet[Transaction]) -> QuerySet[Transaction]:
    """The admin's list of transactions, reading only the columns TransactionResource
    shows, and each transaction's entries with their parties a chunk at a time."""
    entries = (
        Entry.objects.select_related("account__user", "asset")
        .only("transaction", "amount", *PARTY, *ASSET)
        .order_by("id")
    )
    return (
        transactions.select_related(None)
        .select_related("initiated_by")
        .only(
            "id",
            "created_at",
            "type",
            "reference",
            "description",
            "idempotency_key",
            "reverses",
            "initiated_by__email",
        )
        .prefetch_related(None)
        .prefetch_related(Prefetch("entries", entries))
    )


def entries_for_export(entries: QuerySet[Entry]) -> QuerySet[Entry]:
    """The admin's list of entries, reading only the columns EntryResource shows."""
    return (
        entries.select_related(None)
        .select_related("transaction", "account__user", "asset")
        .only("id", *ENTRY, *PARTY, *ASSET)
    )


class TransactionResource(Resource):
    id = Field(attribute="id", column_name="id")
    created_at = Field(attribute="created_at", column_name="created_at")
    type = Field(attribute="type", column_name="type")
    amount = Field(column_name="amount")
    asset = Field(column_name="asset")
    source = Field(column_name="from")
    target = Field(column_name="to")
    reference = Field(attribute="reference", column_name="reference")
    description = Field(attribute="description", column_name="description")
    initiated_by = Field(column_name="initiated_by")
    idempotency_key = Field(attribute="idempotency_key", column_name="idempotency_key")
    reverses = Field(attribute="reverses_id", column_name="reverses")

    _listed: tuple[Transaction | None, list[Entry]] = (None, [])

    def _entries(self, txn: Transaction) -> list[Entry]:
        """The row's prefetched entries, listed once (five columns read them). Kept
        here, not on the row, where they would close a reference cycle
        (entry.transaction) that core.exports breaks per row."""
        if self._listed[0] is not txn:
            # The prefetched list itself: `entries.all()` would clone a queryset per row.
            prefetched = getattr(txn, "_prefetched_objects_cache", {}).get("entries")
            entries = prefetched if prefetched is not None else txn.entries.all()
            self._listed = (txn, list(entries))
        return self._listed[1]

    def _credits(self, txn: Transaction) -> list[Entry]:
        return [entry for entry in self._entries(txn) if entry.amount > 0]

    def dehydrate_amount(self, txn: Transaction) -> Decimal | str:
        credits = self._credits(txn)
        assets = {entry.asset_id for entry in credits}
        if len(assets) != 1:  # a conversion credits two assets: see its entries
            return "; ".join(f"{units(e.amount, e.asset.scale)} {e.asset.code}" for e in credits)
        return units(sum(entry.amount for entry in credits), credits[0].asset.scale) or Decimal(0)

    def dehydrate_asset(self, txn: Transaction) -> str:
        return ";".join(sorted({entry.asset.code for entry in self._entries(txn)}))

    def dehydrate_source(self, txn: Transaction) -> str:
        return "; ".join(holder(e.account) for e in self._entries(txn) if e.amount < 0)

    def dehydrate_target(self, txn: Transaction) -> str:
        return "; ".join(holder(e.account) for e in self._entries(txn) if e.amount > 0)

    def dehydrate_initiated_by(self, txn: Transaction) -> str:
        return txn.initiated_by.email if txn.initiated_by is not None else ""


class EntryResource(Resource):
    id = Field(attribute="id", column_name="id")
    created_at = Field(attribute="created_at", column_name="created_at")
    transaction = Field(attribute="transaction_id", column_name="transaction")
    type = Field(attribute="transaction__type", column_name="type")
    account = Field(attribute="account_id", column_name="account")
    party = Field(column_name="party")
    asset = Field(attribute="asset__code", column_name="asset")
    amount = Field(column_name="amount")
    balance_after = Field(column_name="balance_after")
    reference = Field(attribute="transaction__reference", column_name="reference")

    def dehydrate_party(self, entry: Entry) -> str:
        return holder(entry.account)

    def dehydrate_amount(self, entry: Entry) -> Decimal | None:
        return units(entry.amount, entry.asset.scale)

    def dehydrate_balance_after(self, entry: Entry) -> Decimal | None:
        return units(entry.balance_after, entry.asset.scale)


class StatementResource(Resource):
    """One wallet's entries, oldest first: what moved, why, and the balance after."""

    created_at = Field(attribute="created_at", column_name="date")
    transaction = Field(attribute="transaction_id", column_name="transaction")
    type = Field(attribute="transaction__type", column_name="type")
    reference = Field(attribute="transaction__reference", column_name="reference")
    description = Field(attribute="transaction__description", column_name="description")
    amount = Field(column_name="amount")
    balance_after = Field(column_name="balance_after")

    def dehydrate_amount(self, entry: Entry) -> Decimal | None:
        return units(entry.amount, entry.asset.scale)

    def dehydrate_balance_after(self, entry: Entry) -> Decimal | None:
        return units(entry.balance_after, entry.asset.scale)


def statement_entries(account: Account) -> QuerySet[Entry]:
    return (
        Entry.objects.filter(account=account)
        .select_related("transaction", "asset")
        .only(*ENTRY, "transaction__description", *ASSET)
        .order_by("transaction_id", "id")
    )


if TYPE_CHECKING:  # a ModelAdmin mixin: typed as one, without being one at run time
    from unfold.admin import ModelAdmin as _AdminBase  # the admins' base class
else:
    _AdminBase = object


class WalletStatementMixin(_AdminBase):
    """AccountAdmin mixin: a wallet's statement as CSV or XLSX, linked from its page."""

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.statement_view)
        return [
            path("<int:pk>/statement/<str:format>/", view, name="ledger_account_statement"),
            *super().get_urls(),
        ]

    def get_export_source(self, request: HttpRequest, order: ExportOrder) -> ExportSource:
        """The statement of wallet `order.object_id`, if `request`'s user may view it."""
        if order.what != "statement":
            raise Http404(f"no export {order.what!r} here")
        accounts = Account.objects.select_related("asset", "user")
        found = accounts.filter(pk=order.object_id).first() if order.object_id else None
        if found is None or not self.has_view_permission(request, found):
            raise PermissionDenied
        name = f"statement-{found.pk}-{found.asset.code}"
        return ExportSource(statement_entries(found), StatementResource(), name)

    def statement_view(self, request: HttpRequest, pk: int, format: str):
        if format not in FORMATS:
            raise Http404(f"no export format {format!r}")
        order = ExportOrder("ledger", "account", "statement", format, object_id=pk)
        return export_or_start(request, self.get_export_source(request, order), order)

    @admin.display(description="statement")
    def statement(self, account: Account) -> str:
        return format_html(
            '<a id="statement-csv" class="{link}" href="{}">CSV</a> · '
            '<a id="statement-xlsx" class="{link}" href="{}">XLSX</a>',
            reverse("admin:ledger_account_statement", args=[account.pk, "csv"]),
            reverse("admin:ledger_account_statement", args=[account.pk, "xlsx"]),
            link="font-medium text-primary-600 underline dark:text-primary-500",  # unfold's
        )
