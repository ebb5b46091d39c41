"""Withdrawals: held at once, paid out after approval.

requested -> approved -> sent -> completed | failed; requested or approved ->
rejected (staff, through the approval queue) or cancelled (the owner). The hold
placed at the request is captured into PAYOUT on completion and voided on failure,
rejection or cancellation.

Lock order: the wallet (creation only, for the daily limit), the withdrawal's row, its
approval request's row, then what the ledger's hold services lock (the wallet, the
hold). A transition reads the state only under the withdrawal's lock, so a cancel
racing an approval is applied first or refused with InvalidState, never both.
"""

from django.conf import settings
from django.db import transaction as db_transaction
from django.db.models import Sum

from accounts.models import User
from core.amounts import format_amount
from core.errors import LimitReached, NotFound, ValidationError
from ledger import services as ledger
from ledger.locks import lock_user_accounts
from ledger.models import AccountPurpose, Asset
from payments import destinations
from payments.errors import ApprovalRequired, InvalidState
from payments.events import emit
from payments.limits import daily_withdrawal_limit, needs_approval
from payments.models import ApprovalRequest, Withdrawal
from payments.periods import day_bounds
from payments.providers import get_provider
from wallets.services import get_wallet

Status = Withdrawal.Status
# What still counts against the daily limit: all but the refused and the cancelled.
COUNTED = [Status.REQUESTED, Status.APPROVED, Status.SENT, Status.COMPLETED, Status.FAILED]
CANCELLABLE: set[str] = {Status.REQUESTED, Status.APPROVED}


def request_withdrawal(
    *,
    user: User,
    asset: Asset,
    amount: int,
    account_number: str,
    bank_name: str,
    requested_by: User,
    provider_name: str | None = None,
) -> Withdrawal:
    """Hold `amount` of the wallet and open a withdrawal. Above the approval threshold it
    waits in `requested` for a second staff member; below it, it is approved at once
    (recorded as auto-approved). Raises LimitReached beyond the daily limit,
    InsufficientFunds and WalletFrozen (from the hold)."""
    if amount <= 0:
        raise ValidationError("Amount must be greater than zero.")
    number = destinations.normalise(account_number)
    if not 4 <= len(number) <= 34 or not number.isalnum():
        raise ValidationError(
            "The account number is 4 to 34 letters and digits.",
            details={"destination": {"account_number": ["Not an account number."]}},
        )
    provider = get_provider(provider_name or settings.PAYMENTS_PAYOUT_PROVIDER)
    wallet = get_wallet(user=user, asset=asset)
    with db_transaction.atomic():
        # Under the wallet's lock, two requests cannot both pass the daily limit.
        lock_user_accounts([wallet.pk])
        _check_daily_limit(user, asset, amount)
        hold = ledger.place_hold(
            account=wallet, amount=amount, reference="withdrawal", created_by=requested_by
        )
        withdrawal = Withdrawal.objects.create(
            user=user,
            account=wallet,
            asset=asset,
            amount=amount,
            hold=hold,
            bank_name=bank_name,
            account_last4=destinations.last4(number),
            account_fingerprint=destinations.fingerprint(number),
            destination_token=provider.tokenize_destination(
                account_number=number, bank_name=bank_name
            ),
            provider=provider.name,
            requested_by=requested_by,
        )
        hold.reference = f"withdrawal:{withdrawal.pk}"
        hold.save(update_fields=["reference"])
        auto = not needs_approval(asset=asset, amount=amount)
        ApprovalRequest.objects.create(
            kind=ApprovalRequest.Kind.WITHDRAWAL,
            account=wallet,
            amount=amount,
            withdrawal=withdrawal,
            requested_by=requested_by,
            status=ApprovalRequest.Status.APPROVED if auto else ApprovalRequest.Status.PENDING,
            auto_approved=auto,
            decision_reason="below the approval threshold" if auto else "",
        )
        _event(withdrawal)
        if auto:
            _move(withdrawal, Status.APPROVED)
    return withdrawal


def cancel_withdrawal(*, withdrawal_id: int) -> Withdrawal:
    """The owner takes it back before it is sent: the hold is released."""
    with db_transaction.atomic():
        withdrawal = lock_withdrawal(withdrawal_id)
        _require(withdrawal, CANCELLABLE, Status.CANCELLED)
        ApprovalRequest.objects.filter(
            withdrawal=withdrawal, status=ApprovalRequest.Status.PENDING
        ).update(status=ApprovalRequest.Status.CANCELLED)
        ledger.void_hold(hold_id=withdrawal.hold_id)
        _move(withdrawal, Status.CANCELLED)
    return withdrawal


def mark_approved(*, withdrawal_id: int) -> Withdrawal:
    """Called by the approval queue (payments.services.approvals) once approved."""
    withdrawal = lock_withdrawal(withdrawal_id)
    _require(withdrawal, {Status.REQUESTED.value}, Status.APPROVED)
    _move(withdrawal, Status.APPROVED)
    return withdrawal


def mark_rejected(*, withdrawal_id: int, reason: str) -> Withdrawal:
    """Called by the approval queue on a rejection: the hold is released."""
    withdrawal = lock_withdrawal(withdrawal_id)
    _require(withdrawal, {Status.REQUESTED.value}, Status.REJECTED)
    ledger.void_hold(hold_id=withdrawal.hold_id)
    withdrawal.reason = reason[:500]
    _move(withdrawal, Status.REJECTED, ["reason"])
    return withdrawal


def send_withdrawal(*, withdrawal_id: int) -> Withdrawal:
    """approved -> sent: the provider is asked to pay it out. One still waiting for its
    approval raises ApprovalRequired."""
    with db_transaction.atomic():
        withdrawal = lock_withdrawal(withdrawal_id)
        if withdrawal.status == Status.REQUESTED:
            raise ApprovalRequired(details={"status": withdrawal.status})
        _require(withdrawal, {Status.APPROVED.value}, Status.SENT)
        withdrawal.payout_reference = get_provider(withdrawal.provider).send_payout(withdrawal)
        _move(withdrawal, Status.SENT, ["payout_reference"])
    return withdrawal


def complete_withdrawal(*, withdrawal_id: int, completed_by: User | None = None) -> Withdrawal:
    """sent -> completed: the hold is captured into the PAYOUT account."""
    with db_transaction.atomic():
        withdrawal = lock_withdrawal(withdrawal_id)
        _require(withdrawal, {Status.SENT.value}, Status.COMPLETED)
        withdrawal.capture_transaction = ledger.capture_hold(
            hold_id=withdrawal.hold_id,
            destination=AccountPurpose.PAYOUT,
            idempotency_key=f"withdrawal:{withdrawal.pk}",
            initiated_by=completed_by,
        )
        _move(withdrawal, Status.COMPLETED, ["capture_transaction"])
    return withdrawal


def fail_withdrawal(*, withdrawal_id: int, reason: str) -> Withdrawal:
    """sent -> failed (the bank returned it): the hold is released."""
    if not reason or not reason.strip():
        raise ValidationError("A failure needs a reason.")
    with db_transaction.atomic():
        withdrawal = lock_withdrawal(withdrawal_id)
        _require(withdrawal, {Status.SENT.value}, Status.FAILED)
        ledger.void_hold(hold_id=withdrawal.hold_id)
        withdrawal.reason = reason[:500]
        _move(withdrawal, Status.FAILED, ["reason"])
    return withdrawal


def lock_withdrawal(withdrawal_id: int) -> Withdrawal:
    withdrawal = (
        Withdrawal.objects.select_for_update(of=("self",))
        .select_related("asset")
        .filter(pk=withdrawal_id)
        .first()
    )
    if withdrawal is None:
        raise NotFound("Withdrawal not found.")
    return withdrawal


def _check_daily_limit(user: User, asset: Asset, amount: int) -> None:
    start, end = day_bounds()
    today = (
        Withdrawal.objects.filter(
            user=user, asset=asset, status__in=COUNTED, created_at__gte=start, created_at__lt=end
        ).aggregate(total=Sum("amount"))["total"]
        or 0
    )
    limit = daily_withdrawal_limit(asset)
    if today + amount > limit:
        raise LimitReached(
            "The daily withdrawal limit for this asset would be exceeded.",
            details={
                "asset": asset.code,
                "limit": format_amount(limit, scale=asset.scale),
                "remaining": format_amount(max(limit - today, 0), scale=asset.scale),
            },
        )


def _require(withdrawal: Withdrawal, allowed: set[str], wanted: str) -> None:
    if withdrawal.status not in allowed:
        raise InvalidState(
            f"A withdrawal {withdrawal.status} cannot become {wanted}.",
            details={"status": withdrawal.status},
        )


def _move(withdrawal: Withdrawal, status: str, fields: list[str] | None = None) -> None:
    withdrawal.status = status
    withdrawal.save(update_fields=["status", "updated_at", *(fields or [])])
    _event(withdrawal)


def _event(withdrawal: Withdrawal) -> None:
    emit(
        f"wallet.withdrawal.{withdrawal.status}",
        amount=withdrawal.amount,
        asset=withdrawal.asset,
        withdrawal_id=withdrawal.pk,
        user_id=withdrawal.user_id,
        destination=withdrawal.masked_account,
        bank_name=withdrawal.bank_name,
        hold_id=withdrawal.hold_id,
    )
