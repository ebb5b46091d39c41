"""The ledger: an immutable double-entry journal of virtual currency.

- An **Asset** is a currency (SILVER, GOLD, CITY_POINTS...). Amounts are integers in
  its minor unit; `scale` says how many of the digits are decimals when shown.
- An **Account** holds one asset. User accounts (wallets) are one per (user, asset)
  and keep `balance` and `held` on the row, updated under a row lock by the posting
  engine. System accounts (treasury, bonus, rewards, revenue, conversion, expired,
  one per donation cause) are one per (purpose, label, asset); their row is never
  updated and their balance is derived from their entries, so thousands of postings
  against the REWARDS account never queue on one row lock.
- A **Transaction** is one journal record; its **Entries** move value between
  accounts. Both are insert-only.
- A **Hold** reserves part of a user balance (available = balance - held).
- A **Lot** tracks each credit of an expiring asset until it is spent or expires.

Invariants, enforced by PostgreSQL (see migrations) and checked by `reconcile`:
1. For every transaction and asset, the entries sum to zero (deferred trigger).
2. A user account's balance is never below zero nor below its holds (CHECK).
3. A user account's balance equals the sum of its entries (reconcile).
4. Transactions and entries are never updated or deleted (trigger); a transaction is
   reversed at most once (unique `reverses`).
5. An idempotency key moves value at most once (unique key).
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils import timezone

from core.amounts import MAX_AMOUNT as MAX_AMOUNT  # re-exported: the services import it here
from core.amounts import format_amount

# Sent when assets change without a save() (QuerySet.update): ledger.reference drops
# the assets it keeps in memory, as it does on post_save.
assets_updated = Signal()


class AssetQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        updated = super().update(**kwargs)
        assets_updated.send(sender=Asset)
        return updated


class Asset(models.Model):
    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Z][A-Z0-9_]*$", "Upper-case letters, digits and _.")],
    )
    name = models.CharField(max_length=100)
    scale = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(8)], help_text="Decimal places shown."
    )
    transferable = models.BooleanField(default=False)
    expiry_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text="Empty: never."
    )
    active = models.BooleanField(default=True)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class ConversionRate(models.Model):
    """`from_amount` of one asset converts into `to_amount` of another."""

    from_asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    to_asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    from_amount = models.BigIntegerField(validators=[MinValueValidator(1)])
    to_amount = models.BigIntegerField(validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["from_asset__code", "to_asset__code"]
        constraints = [
            models.UniqueConstraint(fields=["from_asset", "to_asset"], name="ledger_rate_unique"),
            models.CheckConstraint(
                condition=Q(from_amount__gt=0, to_amount__gt=0), name="ledger_rate_positive"
            ),
            models.CheckConstraint(
                condition=~Q(from_asset=F("to_asset")), name="ledger_rate_two_assets"
            ),
        ]

    def __str__(self) -> str:
        shown_from = format_amount(self.from_amount, scale=self.from_asset.scale)
        shown_to = format_amount(self.to_amount, scale=self.to_asset.scale)
        return f"{shown_from} {self.from_asset} -> {shown_to} {self.to_asset}"


class AccountPurpose(models.TextChoices):
    USER = "USER", "User wallet"
    TREASURY = "TREASURY", "Treasury (top-ups)"
    BONUS = "BONUS", "Bonuses and grants"
    REWARDS = "REWARDS", "Rewards and earning"
    REVENUE = "REVENUE", "Revenue (spending)"
    CONVERSION = "CONVERSION", "Conversion"
    EXPIRED = "EXPIRED", "Expired"
    DONATION = "DONATION", "Donation cause"
    # Money in and out (payments/): deposits are credited from their provider's account
    # (label = the provider's name); completed withdrawals are captured into PAYOUT.
    PROVIDER = "PROVIDER", "Payment provider (deposits)"
    PAYOUT = "PAYOUT", "Payouts (withdrawals)"


class AccountStatus(models.TextChoices):
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"


class TransactionType(models.TextChoices):
    TOPUP = "TOPUP"
    BONUS = "BONUS"
    EARN = "EARN"
    SPEND = "SPEND"
    TRANSFER = "TRANSFER"
    CONVERT = "CONVERT"
    REDEEM = "REDEEM"
    EXPIRE = "EXPIRE"
    REVERSAL = "REVERSAL"
    ADJUSTMENT = "ADJUSTMENT"
    CAPTURE = "CAPTURE"
    REFUND = "REFUND"


SYSTEM_PURPOSES = [p for p in AccountPurpose.values if p != AccountPurpose.USER]


class Account(models.Model):
    Purpose = AccountPurpose
    Status = AccountStatus

    asset = models.ForeignKey(Asset, models.PROTECT, related_name="accounts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_accounts",
    )
    purpose = models.CharField(max_length=16, choices=Purpose.choices, default=Purpose.USER)
    label = models.SlugField(max_length=64, blank=True, help_text="Names a donation cause.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    balance = models.BigIntegerField(default=0)
    held = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        # Granted to roles (accounts/roles.py); checked by the API.
        permissions = [
            ("view_any_wallet", "Can view any user's wallet, history and transactions"),
            ("credit_any_wallet", "Can earn, top up and grant bonuses to any wallet"),
            ("debit_any_wallet", "Can spend, transfer and convert from any wallet"),
            ("hold_any_wallet", "Can place, capture and void holds on any wallet"),
            ("reverse_transaction", "Can reverse a transaction"),
            ("report_activity", "Can report activity events for any user"),
            ("freeze_wallet", "Can freeze and unfreeze wallets"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "asset"],
                condition=Q(user__isnull=False),
                name="ledger_account_one_per_user_asset",
            ),
            models.UniqueConstraint(
                fields=["purpose", "label", "asset"],
                condition=Q(user__isnull=True),
                name="ledger_account_one_per_system_purpose",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True, purpose__in=SYSTEM_PURPOSES)
                | Q(user__isnull=False, purpose="USER"),
                name="ledger_account_purpose_matches_owner",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(balance__gte=0),
                name="ledger_account_balance_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=True) | Q(held__gte=0, balance__gte=F("held")),
                name="ledger_account_balance_covers_holds",
            ),
            # System balances live in their entries only; their rows stay untouched.
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(balance=0, held=0),
                name="ledger_account_system_row_keeps_no_balance",
            ),
        ]

    def __str__(self) -> str:
        if self.user_id:
            return f"{self.user} {self.asset}"
        label = f":{self.label}" if self.label else ""
        return f"{self.purpose}{label} {self.asset}"

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def available(self) -> int:
        return self.balance - self.held


class Transaction(models.Model):
    Type = TransactionType

    type = models.CharField(max_length=16, choices=Type.choices)
    # NULL, not "": the unique constraint applies only to keys that were given.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    reference = models.CharField(max_length=255, blank=True, db_index=True)
    description = models.CharField(max_length=500, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    reverses = models.OneToOneField(
        "self", models.PROTECT, null=True, blank=True, related_name="reversal"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_transaction_unique_idempotency_key",
            ),
            models.CheckConstraint(
                condition=Q(type__in=TransactionType.values), name="ledger_transaction_known_type"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.type}"


class Entry(models.Model):
    transaction = models.ForeignKey(Transaction, models.PROTECT, related_name="entries")
    # On PostgreSQL one composite foreign key, (account, asset) -> the account's (id, asset),
    # stands for both (migration 0007): the copy of the asset cannot differ from the
    # account's, and each entry costs one key check, not two. The account's indexes below
    # lead with it.
    account = models.ForeignKey(
        Account, models.PROTECT, related_name="entries", db_constraint=False, db_index=False
    )
    # A copy of account.asset, so per-asset sums need no join.
    asset = models.ForeignKey(
        Asset, models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    amount = models.BigIntegerField()
    balance_after = models.BigIntegerField(null=True, blank=True, help_text="User accounts only.")
    # A copy of transaction.created_at for range scans of one account's history.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "entries"
        indexes = [
            # An account's entries newest first in the order history pages by (entry and
            # transaction ids come from two sequences, so concurrent postings can order
            # them differently; an account has at most one entry per transaction). It
            # carries what history's filters read of the entry: read in order straight
            # from the index, a page costs the same for an account with 1 or 10^5 entries,
            # and PostgreSQL, which plans for an average account, never prefers sorting
            # all of a busy one's entries. Only PostgreSQL has covering indexes.
            models.Index(
                fields=["account", "-transaction"],
                include=["asset", "created_at"],
                name="ledger_entry_account_txn",
            ),
            models.Index(fields=["account", "created_at"], name="ledger_entry_account_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_amount_not_zero"),
        ]

    def __str__(self) -> str:
        shown = format_amount(self.amount, scale=self.asset.scale)
        sign = "+" if self.amount > 0 else ""
        return f"{sign}{shown} {self.asset} on {self.account_id} (#{self.transaction_id})"


class DailyTotal(models.Model):
    """Per user account, day (WALLET_TIME_ZONE) and transaction type: what came in and went
    out. Written by the posting engine in the same transaction as the entries, under the
    account's lock, so leaderboards and dashboards never scan the entries."""

    # Both are the first column of an index below already.
    account = models.ForeignKey(Account, models.PROTECT, related_name="+", db_index=False)
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    type = models.CharField(max_length=16, choices=TransactionType.choices)
    credited = models.BigIntegerField(default=0)
    debited = models.BigIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "day", "type"], name="ledger_daily_once"),
        ]
        indexes = [
            models.Index(fields=["asset", "type", "day"], name="ledger_daily_asset_type_day"),
            # The dashboard's reads of a few days of every account: index-only on PostgreSQL.
            models.Index(
                fields=["day", "type"],
                include=["asset", "account", "credited", "debited"],
                name="ledger_daily_day_type",
            ),
        ]

    def __str__(self) -> str:
        scale = self.asset.scale
        credited, debited = (format_amount(v, scale=scale) for v in (self.credited, self.debited))
        return f"{self.account_id} {self.day} {self.type} +{credited} -{debited} {self.asset}"


class Hold(models.Model):
    class Status(models.TextChoices):
        PENDING = "PENDING"
        CAPTURED = "CAPTURED"
        VOIDED = "VOIDED"
        EXPIRED = "EXPIRED"

    account = models.ForeignKey(Account, models.PROTECT, related_name="holds")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=255, blank=True)
    # NULL, not "": the unique constraint applies only to keys that were given.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    expires_at = models.DateTimeField(null=True, blank=True)
    captured_amount = models.BigIntegerField(default=0)
    capture_transaction = models.OneToOneField(
        Transaction, models.PROTECT, null=True, blank=True, related_name="captured_hold"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="PENDING"),
                name="ledger_hold_pending_expiry",
            ),
            # An external transaction's failure or payment finds its pending holds by
            # reference (wallets.inbound); without it, a scan of every hold ever placed.
            models.Index(
                fields=["reference"],
                condition=Q(status="PENDING"),
                name="ledger_hold_pending_reference",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_hold_amount_positive"),
            models.CheckConstraint(
                condition=Q(captured_amount__gte=0, captured_amount__lte=F("amount")),
                name="ledger_hold_capture_within_amount",
            ),
            models.UniqueConstraint(
                fields=["idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_hold_unique_idempotency_key",
            ),
        ]

    def __str__(self) -> str:
        shown = format_amount(self.amount, scale=self.account.asset.scale)
        return f"hold #{self.pk} {shown} {self.account.asset} {self.status}"


class Lot(models.Model):
    """What is left of one credit of an expiring asset; debits consume soonest-expiring first."""

    account = models.ForeignKey(Account, models.PROTECT, related_name="lots")
    entry = models.OneToOneField(Entry, models.PROTECT, related_name="lot")
    amount = models.BigIntegerField()
    remaining = models.BigIntegerField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["expires_at", "id"]
        indexes = [
            models.Index(
                fields=["account", "expires_at", "id"],
                condition=Q(remaining__gt=0),
                name="ledger_lot_open_by_expiry",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0, remaining__gte=0, remaining__lte=F("amount")),
                name="ledger_lot_remaining_within_amount",
            ),
        ]

    def __str__(self) -> str:
        asset = self.account.asset
        remaining, amount = (
            format_amount(v, scale=asset.scale) for v in (self.remaining, self.amount)
        )
        return f"lot #{self.pk} {remaining}/{amount} {asset} until {self.expires_at:%Y-%m-%d}"


class OutboxEvent(models.Model):
    """An event written in the same database transaction as the change it reports.

    Published as the envelope `{"id": event_id, "type": topic, "occurred_at": created_at,
    "version", "data": payload}` (ledger.events). `partition` is derived from the user
    the event belongs to (ledger.outbox): the relay publishes one partition strictly in
    id order, which keeps each wallet's events in the order they committed.
    """

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    partition = models.PositiveSmallIntegerField(default=0)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(published_at__isnull=True),
                name="ledger_outbox_unpublished",
            ),
            models.Index(
                fields=["partition", "id"],
                condition=Q(published_at__isnull=True),
                name="ledger_outbox_partition_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class ReconciliationRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    report = models.JSONField(default=dict)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"reconcile {self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'MISMATCH'}"
