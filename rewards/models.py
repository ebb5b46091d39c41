"""The economy around the wallet: ways to earn (tasks, activity events, check-in,
milestones, campaigns) and to spend (items, the reward catalog).

Every credit and debit is a ledger transaction posted through the ledger's
services; the rows here record why it happened and enforce "at most once".
"""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.amounts import format_amount
from ledger.models import Asset, Transaction

USER = settings.AUTH_USER_MODEL


class Period(models.TextChoices):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


class Task(models.Model):
    class Kind(models.TextChoices):
        ONCE = "ONCE", "Once per user"
        DAILY = "DAILY", "Once per day"
        REPEATABLE = "REPEATABLE", "Repeatable, capped per period"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    reward = models.BigIntegerField(validators=[MinValueValidator(1)], help_text="Minor units.")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ONCE)
    period = models.CharField(
        max_length=5,
        choices=Period.choices,
        default=Period.DAY,
        help_text="For repeatable tasks: the period the cap counts in.",
    )
    cap = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="For repeatable tasks: completions per period.",
    )
    active = models.BooleanField(default=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(reward__gt=0), name="rewards_task_reward_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class TaskCompletion(models.Model):
    task = models.ForeignKey(Task, models.PROTECT, related_name="completions")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    period_key = models.CharField(max_length=16, help_text="'once', a day, week or month.")
    sequence = models.PositiveIntegerField(default=1)
    transaction = models.OneToOneField(Transaction, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "user", "period_key", "sequence"],
                name="rewards_completion_once_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} did task {self.task_id} ({self.period_key})"


class CatalogEntry(models.Model):
    """Something users spend on: a name, the asset it is priced in, optional stock."""

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    # PositiveIntegerField also makes PostgreSQL check stock >= 0.
    stock = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    active = models.BooleanField(default=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Item(CatalogEntry):
    price = models.BigIntegerField(validators=[MinValueValidator(1)], help_text="Minor units.")

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="rewards_item_price_positive"),
        ]


class Purchase(models.Model):
    item = models.ForeignKey(Item, models.PROTECT, related_name="purchases")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    unit_price = models.BigIntegerField()
    transaction = models.OneToOneField(Transaction, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user_id} bought {self.quantity} x {self.item_id}"


class Reward(CatalogEntry):
    class Kind(models.TextChoices):
        VOUCHER = "VOUCHER", "Voucher"
        DISCOUNT = "DISCOUNT", "Discount"
        GIFT_CARD = "GIFT_CARD", "Gift card"
        URBAN_SERVICE = "URBAN_SERVICE", "Urban service"
        DONATION = "DONATION", "Donation to a cause"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    cost = models.BigIntegerField(validators=[MinValueValidator(1)], help_text="Minor units.")
    issues_voucher = models.BooleanField(default=True, help_text="Give a unique code per unit.")
    cause = models.SlugField(
        max_length=64, blank=True, help_text="Donations: the cause's system account label."
    )

    class Meta(CatalogEntry.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(cost__gt=0), name="rewards_reward_cost_positive"),
            models.CheckConstraint(
                condition=~Q(kind="DONATION") | ~Q(cause=""),
                name="rewards_donation_names_a_cause",
            ),
        ]


class Redemption(models.Model):
    reward = models.ForeignKey(Reward, models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    transaction = models.OneToOneField(Transaction, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.user_id} redeemed {self.quantity} x {self.reward_id}"


class Voucher(models.Model):
    redemption = models.ForeignKey(Redemption, models.PROTECT, related_name="vouchers")
    code = models.CharField(max_length=32, unique=True)

    def __str__(self) -> str:
        return self.code


class EarningRule(models.Model):
    """What an activity event reported by another service is worth, and how often."""

    event = models.SlugField(max_length=64, unique=True)
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    amount = models.BigIntegerField(validators=[MinValueValidator(1)], help_text="Minor units.")
    period = models.CharField(max_length=5, choices=Period.choices, default=Period.DAY)
    limit_per_period = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no limit."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["event"]

    def __str__(self) -> str:
        return f"{self.event} +{format_amount(self.amount, scale=self.asset.scale)} {self.asset}"


class ActivityEvent(models.Model):
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    event = models.SlugField(max_length=64)
    reference = models.CharField(max_length=255)
    rule = models.ForeignKey(EarningRule, models.PROTECT, related_name="events")
    transaction = models.OneToOneField(Transaction, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "event", "reference"], name="rewards_activity_once_per_reference"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "event", "created_at"], name="rewards_activity_user_event")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.reference} for {self.user_id}"


class Milestone(models.Model):
    """A one-off reward for the Nth activity event of a kind (e.g. the 10th resolved report)."""

    event = models.SlugField(max_length=64)
    count = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    amount = models.BigIntegerField(validators=[MinValueValidator(1)])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["event", "count"]
        constraints = [
            models.UniqueConstraint(fields=["event", "count"], name="rewards_milestone_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.count}x {self.event}"


class CheckIn(models.Model):
    user = models.ForeignKey(USER, models.PROTECT, related_name="+")
    day = models.DateField()
    transaction = models.OneToOneField(Transaction, models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="rewards_checkin_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} checked in {self.day}"


class Campaign(models.Model):
    """A bonus paid once to each user of an audience. The audience is a rule (every
    customer, earners, a segment) or an uploaded list, never picked user by user."""

    class Audience(models.TextChoices):
        ALL_ACTIVE = "ALL_ACTIVE", "All active users"
        MIN_EARN_EVENTS = "MIN_EARN_EVENTS", "Users with at least N earn events"
        SEGMENT = "SEGMENT", "A segment of customers (the filters below)"
        EXPLICIT = "EXPLICIT", "An uploaded list of users"

    class Status(models.TextChoices):
        DRAFT = "DRAFT"
        RUNNING = "RUNNING"
        DONE = "DONE"

    name = models.CharField(max_length=200)
    asset = models.ForeignKey(Asset, models.PROTECT, related_name="+")
    amount = models.BigIntegerField(validators=[MinValueValidator(1)], help_text="Minor units.")
    audience = models.CharField(
        max_length=16, choices=Audience.choices, default=Audience.ALL_ACTIVE
    )
    min_earn_events = models.PositiveIntegerField(default=1)
    users = models.ManyToManyField(
        USER, blank=True, related_name="+", help_text="For the explicit audience."
    )
    # The segment: customers matching every filter given (an empty one does not filter).
    segment_asset = models.ForeignKey(
        Asset,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Segment: customers holding a wallet of this asset, in the balance range.",
    )
    balance_min = models.BigIntegerField(
        null=True, blank=True, help_text="Segment: at least this balance of the segment asset."
    )
    balance_max = models.BigIntegerField(
        null=True, blank=True, help_text="Segment: at most this balance of the segment asset."
    )
    joined_since = models.DateField(null=True, blank=True, help_text="Segment: joined on or after.")
    active_since = models.DateField(
        null=True,
        blank=True,
        help_text="Segment: active (earned, spent, topped up, transferred...) on or after.",
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    paid_up_to_user = models.BigIntegerField(default=0, help_text="Resume point of the run.")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name
