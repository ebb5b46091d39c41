"""Earning and spending in the rewards economy. Each write opens one database
transaction, serialises on the user's wallet (the ledger's lock) before counting
what the user already did, and posts through the ledger's services."""

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from core.amounts import format_amount
from core.errors import LimitReached, NotFound, ValidationError
from ledger.events.catalogue import REWARD_REDEEMED
from ledger.locks import lock_user_accounts
from ledger.models import MAX_AMOUNT, Account, AccountPurpose, Asset, Transaction, TransactionType
from ledger.outbox import add_event
from ledger.services.movements import credit, debit
from rewards.errors import SoldOut
from rewards.models import (
    ActivityEvent,
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
from rewards.periods import period_key, period_start, wallet_today
from wallets.services import get_wallet

MAX_QUANTITY = 100


def _locked_wallet(user: User, asset: Asset) -> Account:
    """The user's wallet, locked: whatever counts their past actions runs after this."""
    wallet = get_wallet(user=user, asset=asset)
    return lock_user_accounts([wallet.pk])[wallet.pk]


def _earn(
    wallet: Account,
    amount: int,
    *,
    reference: str,
    description: str,
    metadata: dict[str, Any] | None = None,
    initiated_by: User | None = None,
    idempotency_key: str | None = None,
) -> Transaction:
    """An EARN from the REWARDS system account."""
    return credit(
        account=wallet,
        amount=amount,
        type=TransactionType.EARN,
        source=AccountPurpose.REWARDS,
        idempotency_key=idempotency_key,
        reference=reference,
        description=description,
        metadata=metadata,
        initiated_by=initiated_by,
    )


def complete_task(*, task_id: int, user: User) -> TaskCompletion:
    """Credit a task's reward once per allowed period (LimitReached beyond it)."""
    with transaction.atomic():
        task = Task.objects.select_related("asset").filter(pk=task_id, active=True).first()
        if task is None:
            raise NotFound("Task not found.")
        now = timezone.now()
        if (task.starts_at and now < task.starts_at) or (task.ends_at and now >= task.ends_at):
            raise LimitReached("The task is not open now.", details={"task": task.pk})
        wallet = _locked_wallet(user, task.asset)
        if task.kind == Task.Kind.ONCE:
            slot, cap = "once", 1
        elif task.kind == Task.Kind.DAILY:
            slot, cap = period_key("DAY", now), 1
        else:
            slot, cap = period_key(task.period, now), task.cap
        done = TaskCompletion.objects.filter(task=task, user=user, period_key=slot).count()
        if done >= cap:
            raise LimitReached(
                "Task already completed for this period.", details={"period": slot, "cap": cap}
            )
        posted = _earn(
            wallet,
            task.reward,
            reference=f"task:{task.pk}",
            description=task.title,
            metadata={"task": task.pk, "period": slot},
            initiated_by=user,
        )
        return TaskCompletion.objects.create(
            task=task, user=user, period_key=slot, sequence=done + 1, transaction=posted
        )


def _check_quantity(quantity: int, unit: int) -> int:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            f"Quantity must be from 1 to {MAX_QUANTITY}.",
            details={"quantity": [f"From 1 to {MAX_QUANTITY}."]},
        )
    if unit * quantity > MAX_AMOUNT:
        raise ValidationError("Total is too large.")
    return unit * quantity


def _take_stock(model, pk: int, quantity: int) -> None:
    """Decrement stock in one conditional UPDATE, so two buyers can never both take the last."""
    taken = model.objects.filter(pk=pk, stock__gte=quantity).update(stock=F("stock") - quantity)
    if not taken:
        left = model.objects.values_list("stock", flat=True).get(pk=pk)
        raise SoldOut(details={"stock": left})


def buy_item(*, item_id: int, user: User, quantity: int = 1) -> Purchase:
    """Debit price x quantity (SPEND) and take it from stock, both or neither."""
    with transaction.atomic():
        item = Item.objects.select_related("asset").filter(pk=item_id, active=True).first()
        if item is None:
            raise NotFound("Item not found.")
        total = _check_quantity(quantity, item.price)
        if item.stock is not None:
            _take_stock(Item, item.pk, quantity)
        posted = debit(
            account=get_wallet(user=user, asset=item.asset),
            amount=total,
            type=TransactionType.SPEND,
            destination=AccountPurpose.REVENUE,
            reference=f"item:{item.pk}",
            description=f"{quantity} x {item.name}",
            metadata={"item": item.pk, "quantity": quantity},
            initiated_by=user,
        )
        return Purchase.objects.create(
            item=item, user=user, quantity=quantity, unit_price=item.price, transaction=posted
        )


def new_voucher_code() -> str:
    raw = secrets.token_hex(6).upper()
    return f"V-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def redeem_reward(*, reward_id: int, user: User, quantity: int = 1) -> Redemption:
    """Debit the cost (REDEEM) to revenue, or to the cause's account for donations, and
    issue one voucher code per unit where the reward has codes."""
    with transaction.atomic():
        reward = Reward.objects.select_related("asset").filter(pk=reward_id, active=True).first()
        if reward is None:
            raise NotFound("Reward not found.")
        total = _check_quantity(quantity, reward.cost)
        if reward.stock is not None:
            _take_stock(Reward, reward.pk, quantity)
        donation = reward.kind == Reward.Kind.DONATION
        wallet = get_wallet(user=user, asset=reward.asset)
        posted = debit(
            account=wallet,
            amount=total,
            type=TransactionType.REDEEM,
            destination=AccountPurpose.DONATION if donation else AccountPurpose.REVENUE,
            destination_label=reward.cause if donation else "",
            reference=f"reward:{reward.pk}",
            description=f"{quantity} x {reward.name}",
            metadata={"reward": reward.pk, "quantity": quantity},
            initiated_by=user,
        )
        redemption = Redemption.objects.create(
            reward=reward, user=user, quantity=quantity, transaction=posted
        )
        if reward.issues_voucher and not donation:
            Voucher.objects.bulk_create(
                [Voucher(redemption=redemption, code=new_voucher_code()) for _ in range(quantity)]
            )
        add_event(
            topic=REWARD_REDEEMED,
            payload={
                "redemption_id": redemption.pk,
                "reward_id": reward.pk,
                "account_id": wallet.pk,
                "user_id": user.pk,
                "asset": reward.asset.code,
                "quantity": quantity,
                "amount": format_amount(total, scale=reward.asset.scale),
                "transaction_id": posted.pk,
            },
            key=user.pk,
        )
        return redemption


def record_activity(*, user: User, event: str, reference: str) -> tuple[ActivityEvent, bool]:
    """Credit an activity event by its earning rule, once per (user, event, reference).

    Returns the event and whether it is new; the same event again returns the first
    one and credits nothing. Raises LimitReached beyond the rule's limit per period.
    """
    with transaction.atomic():
        rule = EarningRule.objects.select_related("asset").filter(event=event, active=True).first()
        if rule is None:
            raise ValidationError(
                f"No earning rule for event {event!r}.", details={"event": ["Unknown event."]}
            )
        wallet = _locked_wallet(user, rule.asset)
        seen = ActivityEvent.objects.filter(user=user, event=event, reference=reference).first()
        if seen is not None:
            return seen, False
        if rule.limit_per_period is not None:
            counted = ActivityEvent.objects.filter(
                user=user, event=event, created_at__gte=period_start(rule.period)
            ).count()
            if counted >= rule.limit_per_period:
                raise LimitReached(
                    details={"event": event, "limit": rule.limit_per_period, "period": rule.period}
                )
        posted = _earn(
            wallet, rule.amount, reference=reference, description=event, metadata={"event": event}
        )
        activity = ActivityEvent.objects.create(
            user=user, event=event, reference=reference, rule=rule, transaction=posted
        )
        _award_milestones(user, event)
        return activity, True


def _award_milestones(user: User, event: str) -> None:
    reached = ActivityEvent.objects.filter(user=user, event=event).count()
    for milestone in Milestone.objects.select_related("asset").filter(
        event=event, count=reached, active=True
    ):
        _earn(
            get_wallet(user=user, asset=milestone.asset),
            milestone.amount,
            idempotency_key=f"milestone:{milestone.pk}:user:{user.pk}",
            reference=f"milestone:{milestone.pk}",
            description=f"Milestone: {milestone.count} x {event}",
        )


def check_in(*, user: User) -> CheckIn:
    """The daily check-in: CHECKIN_AMOUNT of CHECKIN_ASSET once per calendar day."""
    with transaction.atomic():
        asset = Asset.objects.filter(code=settings.CHECKIN_ASSET, active=True).first()
        if asset is None:
            raise ValidationError("Check-in is not set up.")
        wallet = _locked_wallet(user, asset)
        today = wallet_today()
        if CheckIn.objects.filter(user=user, day=today).exists():
            raise LimitReached("Already checked in today.", details={"day": today.isoformat()})
        posted = _earn(
            wallet,
            settings.CHECKIN_AMOUNT,
            reference=f"checkin:{today}",
            description="Daily check-in",
            initiated_by=user,
        )
        return CheckIn.objects.create(user=user, day=today, transaction=posted)
