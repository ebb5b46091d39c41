"""Money in and out: what the outside world does to a wallet.

- A **Deposit** is money a payment provider collects for a wallet (a card charge, a
  bank transfer). It is `pending` until the provider confirms it; only then is it
  credited, as one TOPUP from the provider's system account (PROVIDER, label = the
  provider's name). pending -> succeeded | failed | expired; each end state is final.
- A **Withdrawal** pays part of a wallet out to a bank account. Its amount is held at
  once (a ledger Hold), so it cannot be spent meanwhile. requested -> approved -> sent
  -> completed | failed; rejected or cancelled before it is sent. Completion captures
  the hold into PAYOUT; failure, rejection and cancellation void it. The bank account
  number is never stored: only its last four digits, a keyed hash and the provider's
  token for it (payments/destinations.py).
- A **Payment** is a wallet paying for an order of another service (a SPEND into
  REVENUE); **Refunds** return all or part of it (REFUND transactions), never more than
  was paid: `refunded_amount <= amount` is a CHECK, kept under the payment's row lock.
- An **ApprovalRequest** is the maker–checker record: a withdrawal above the threshold,
  or a large staff adjustment or bonus, waits for a second staff member. Below the
  threshold the request is approved automatically and recorded as such.

Amounts are integer minor units of the asset, as in the ledger. Value moves only
through the ledger's services (the one posting engine).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.amounts import format_amount


class Deposit(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        EXPIRED = "expired"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="deposits")
    account = models.ForeignKey("ledger.Account", models.PROTECT, related_name="+")
    asset = models.ForeignKey("ledger.Asset", models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    provider = models.CharField(max_length=32)
    # NULL until the provider has answered (it is asked with the saved deposit's id).
    provider_reference = models.CharField(  # noqa: DJ001
        max_length=100, unique=True, null=True, blank=True
    )
    payment_method_type = models.CharField(max_length=32)
    payment_method_id = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    failure_reason = models.CharField(max_length=200, blank=True)
    transaction = models.OneToOneField(
        "ledger.Transaction", models.PROTECT, null=True, blank=True, related_name="deposit"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(status="pending"), name="payments_deposit_due"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_deposit_positive"),
            # Credited exactly when it succeeded.
            models.CheckConstraint(
                condition=Q(status="succeeded", transaction__isnull=False)
                | (~Q(status="succeeded") & Q(transaction__isnull=True)),
                name="payments_deposit_credited_iff_succeeded",
            ),
        ]

    def __str__(self) -> str:
        shown = format_amount(self.amount, scale=self.asset.scale)
        return f"deposit #{self.pk} {shown} {self.asset} {self.status}"


class Withdrawal(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"
        SENT = "sent"
        COMPLETED = "completed"
        FAILED = "failed"
        REJECTED = "rejected"
        CANCELLED = "cancelled"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="withdrawals")
    account = models.ForeignKey("ledger.Account", models.PROTECT, related_name="+")
    asset = models.ForeignKey("ledger.Asset", models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    hold = models.OneToOneField("ledger.Hold", models.PROTECT, related_name="withdrawal")
    # The destination, never in full (payments/destinations.py).
    bank_name = models.CharField(max_length=100)
    account_last4 = models.CharField(max_length=4)
    account_fingerprint = models.CharField(max_length=64, help_text="Keyed hash (HMAC-SHA256).")
    destination_token = models.CharField(max_length=100, help_text="The provider's token.")
    provider = models.CharField(max_length=32)
    payout_reference = models.CharField(max_length=100, blank=True)
    capture_transaction = models.OneToOneField(
        "ledger.Transaction", models.PROTECT, null=True, blank=True, related_name="withdrawal"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was refused.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("manage_withdrawals", "Can approve, reject, send, complete and fail withdrawals"),
        ]
        indexes = [models.Index(fields=["user", "asset", "created_at"], name="payments_wd_day")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_withdrawal_positive"),
        ]

    def __str__(self) -> str:
        shown = format_amount(self.amount, scale=self.asset.scale)
        return f"withdrawal #{self.pk} {shown} {self.asset} to ****{self.account_last4}"

    @property
    def masked_account(self) -> str:
        return f"****{self.account_last4}"


class Payment(models.Model):
    class Status(models.TextChoices):
        COMPLETED = "completed"
        PARTIALLY_REFUNDED = "partially_refunded"
        REFUNDED = "refunded"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="payments")
    account = models.ForeignKey("ledger.Account", models.PROTECT, related_name="+")
    asset = models.ForeignKey("ledger.Asset", models.PROTECT, related_name="+")
    amount = models.BigIntegerField()
    refunded_amount = models.BigIntegerField(default=0)
    order_id = models.CharField(max_length=100, db_index=True)
    service = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.COMPLETED)
    transaction = models.OneToOneField("ledger.Transaction", models.PROTECT, related_name="payment")
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("refund_payment", "Can refund payments"),
            ("view_any_payment", "Can view any user's payments"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_payment_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")),
                name="payments_refunds_within_payment",
            ),
        ]

    def __str__(self) -> str:
        shown = format_amount(self.amount, scale=self.asset.scale)
        return f"payment #{self.pk} {shown} {self.asset} order {self.order_id}"

    @property
    def refundable(self) -> int:
        return self.amount - self.refunded_amount


class Refund(models.Model):
    payment = models.ForeignKey(Payment, models.PROTECT, related_name="refunds")
    amount = models.BigIntegerField()
    reason = models.CharField(max_length=500)
    transaction = models.OneToOneField("ledger.Transaction", models.PROTECT, related_name="refund")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payments_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"refund #{self.pk} of payment #{self.payment_id}"


class ApprovalRequest(models.Model):
    """A second pair of eyes: what was asked, by whom, and who decided."""

    class Kind(models.TextChoices):
        WITHDRAWAL = "withdrawal"
        ADJUSTMENT = "adjustment"
        BONUS = "bonus"

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Below the threshold: approved at once by the rule, not by a person.
    auto_approved = models.BooleanField(default=False)
    account = models.ForeignKey("ledger.Account", models.PROTECT, related_name="+")
    amount = models.BigIntegerField(help_text="Signed for an adjustment.")
    reason = models.CharField(max_length=500, blank=True, help_text="The requester's reason.")
    withdrawal = models.OneToOneField(
        Withdrawal, models.PROTECT, null=True, blank=True, related_name="approval"
    )
    transaction = models.OneToOneField(
        "ledger.Transaction", models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("decide_approval", "Can approve or reject another staff member's request")]
        # The dashboard counts the queue: pending rows only, through this small index.
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="payments_approval_pending",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="approved", auto_approved=False)
                | ~Q(decided_by=F("requested_by")),
                name="payments_approval_not_by_requester",
            ),
        ]

    def __str__(self) -> str:
        shown = format_amount(self.amount, scale=self.account.asset.scale)
        return f"{self.kind} #{self.pk} {shown} {self.account.asset} {self.status}"


class ProviderEvent(models.Model):
    """A provider callback applied once, by (provider, event id): a replay finds its row."""

    provider = models.CharField(max_length=32)
    event_id = models.CharField(max_length=100)
    type = models.CharField(max_length=64)
    reference = models.CharField(max_length=100)
    outcome = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payments_event_once"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_id} {self.type}"
