"""Deposits: pending until the provider confirms; credited once, as one TOPUP.

Lock order: the deposit's row (SELECT ... FOR UPDATE), then what the ledger locks.
The TOPUP's idempotency key is `deposit:<id>`, so even a confirmation that slipped past
the state check could not credit twice: the engine would replay the first posting.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import User
from core.errors import NotFound, ValidationError
from ledger import services as ledger
from ledger.locks import lock_idempotency_key
from ledger.models import AccountPurpose, Asset, TransactionType
from payments.errors import InvalidState
from payments.events import emit
from payments.models import Deposit, ProviderEvent
from payments.providers import CallbackEvent, get_provider
from wallets.services import get_wallet

Status = Deposit.Status


def create_deposit(
    *,
    user: User,
    asset: Asset,
    amount: int,
    payment_method: dict[str, str],
    created_by: User | None = None,
    provider_name: str | None = None,
) -> Deposit:
    """Open a pending deposit and ask the provider to collect it; nothing is credited."""
    if amount <= 0:
        raise ValidationError("Amount must be greater than zero.")
    provider = get_provider(provider_name or settings.PAYMENTS_DEPOSIT_PROVIDER)
    with db_transaction.atomic():
        deposit = Deposit(
            user=user,
            account=get_wallet(user=user, asset=asset),
            asset=asset,
            amount=amount,
            provider=provider.name,
            payment_method_type=payment_method["type"],
            payment_method_id=payment_method["id"],
            created_by=created_by,
            expires_at=timezone.now() + timedelta(seconds=settings.PAYMENTS_DEPOSIT_TTL),
        )
        deposit.save()  # first, so the provider can key its side by our id
        deposit.provider_reference = provider.start_deposit(deposit)
        deposit.save(update_fields=["provider_reference"])
        _event(deposit)
    return deposit


def confirm_deposit(*, deposit_id: int) -> Deposit:
    """pending -> succeeded, crediting one TOPUP from the provider's account.

    Confirming a deposit that already succeeded changes nothing and returns it;
    one that failed or expired raises InvalidState (nothing is credited).
    """
    with db_transaction.atomic():
        deposit = _lock(deposit_id)
        if deposit.status == Status.SUCCEEDED:
            return deposit
        _require_pending(deposit, Status.SUCCEEDED)
        deposit.transaction = ledger.credit(
            account=deposit.account,
            amount=deposit.amount,
            type=TransactionType.TOPUP,
            source=AccountPurpose.PROVIDER,
            source_label=deposit.provider,
            idempotency_key=f"deposit:{deposit.pk}",
            reference=deposit.provider_reference or "",
            description=f"Deposit #{deposit.pk} via {deposit.provider}",
            metadata={"deposit_id": deposit.pk, "provider": deposit.provider},
        )
        _resolve(deposit, Status.SUCCEEDED, ["transaction"])
    return deposit


def fail_deposit(*, deposit_id: int, reason: str = "") -> Deposit:
    """pending -> failed. Failing it again changes nothing; a deposit that succeeded or
    expired raises InvalidState."""
    with db_transaction.atomic():
        deposit = _lock(deposit_id)
        if deposit.status == Status.FAILED:
            return deposit
        _require_pending(deposit, Status.FAILED)
        deposit.failure_reason = reason[:200]
        _resolve(deposit, Status.FAILED, ["failure_reason"])
    return deposit


def expire_deposits(*, now: datetime | None = None) -> int:
    """Expire every pending deposit past its expiry, one short transaction each; return
    how many. A confirmation that locked the row first wins: the deposit is then no
    longer pending and is skipped."""
    now = now or timezone.now()
    due = Deposit.objects.filter(status=Status.PENDING, expires_at__lte=now)
    expired = 0
    for deposit_id in due.values_list("pk", flat=True).iterator():
        with db_transaction.atomic():
            deposit = _lock(deposit_id)
            if deposit.status != Status.PENDING:
                continue
            _resolve(deposit, Status.EXPIRED, [])
            expired += 1
    return expired


def apply_callback(*, provider_name: str, headers: dict[str, str], body: bytes) -> dict:
    """Verify a provider's callback and apply it once, by its event id. Returns what it
    did: {"event", "deposit", "status", "duplicate"}. Raises NotFound for an unknown
    provider or deposit, PermissionDenied for a bad signature, InvalidState for a
    transition the deposit no longer allows."""
    provider = get_provider(provider_name)
    event = provider.verify_callback(headers=headers, body=body)
    with db_transaction.atomic():
        lock_idempotency_key(f"provider-event:{provider.name}:{event.id}")
        earlier = ProviderEvent.objects.filter(provider=provider.name, event_id=event.id).first()
        if earlier is not None:
            return {**earlier.outcome, "duplicate": True}
        deposit = _apply(provider.name, event)
        outcome = {"event": event.id, "deposit": deposit.pk, "status": deposit.status}
        ProviderEvent.objects.create(
            provider=provider.name,
            event_id=event.id,
            type=event.type,
            reference=event.reference,
            outcome=outcome,
        )
    return {**outcome, "duplicate": False}


def _apply(provider_name: str, event: CallbackEvent) -> Deposit:
    deposit_id = (
        Deposit.objects.filter(provider=provider_name, provider_reference=event.reference)
        .values_list("pk", flat=True)
        .first()
    )
    if deposit_id is None:
        raise NotFound("No deposit with this reference.")
    if event.type == "deposit.succeeded":
        return confirm_deposit(deposit_id=deposit_id)
    return fail_deposit(deposit_id=deposit_id, reason=event.reason or "declined by provider")


def _lock(deposit_id: int) -> Deposit:
    deposit = (
        Deposit.objects.select_for_update(of=("self",))
        .select_related("account__asset", "asset")
        .filter(pk=deposit_id)
        .first()
    )
    if deposit is None:
        raise NotFound("Deposit not found.")
    return deposit


def _require_pending(deposit: Deposit, wanted: str) -> None:
    if deposit.status != Status.PENDING:
        raise InvalidState(
            f"A deposit {deposit.status} cannot become {wanted}.",
            details={"status": deposit.status},
        )


def _resolve(deposit: Deposit, status: str, fields: list[str]) -> None:
    deposit.status = status
    deposit.resolved_at = timezone.now()
    deposit.save(update_fields=["status", "resolved_at", *fields])
    _event(deposit)


def _event(deposit: Deposit) -> None:
    emit(
        f"wallet.deposit.{deposit.status}",
        amount=deposit.amount,
        asset=deposit.asset,
        deposit_id=deposit.pk,
        user_id=deposit.user_id,
        provider=deposit.provider,
        provider_reference=deposit.provider_reference,
        transaction_id=deposit.transaction_id,
    )


def claim_completed_topup(
    *, external_id: str, user: User, asset: Asset, amount: int
) -> Deposit | None:
    """A `transaction.completed` event of kind topup whose id is a deposit's provider
    reference confirms that deposit (wallets/inbound calls this through its hook); None
    when it names no deposit. Raises ValidationError when it disagrees with the deposit
    and InvalidState when the deposit failed or expired."""
    deposit = Deposit.objects.filter(provider_reference=external_id).first()
    if deposit is None:
        return None
    # What a deposit was opened for never changes, so it is compared without the lock.
    if (deposit.user_id, deposit.asset_id, deposit.amount) != (user.pk, asset.pk, amount):
        raise ValidationError(
            f"The completion does not match deposit #{deposit.pk} (user, asset, amount)."
        )
    return confirm_deposit(deposit_id=deposit.pk)


def claim_failed_topup(*, external_id: str, reason: str) -> Deposit | None:
    """A `transaction.failed` event whose id is a deposit's provider reference fails that
    deposit while it is pending (wallets/inbound calls this through its hook); None when
    it names no deposit. Failing one that failed or expired changes nothing; one that
    succeeded raises InvalidState: the wallet holds the money, and taking it back is a
    chargeback an operator decides."""
    deposit = Deposit.objects.filter(provider_reference=external_id).first()
    if deposit is None:
        return None
    if deposit.status == Status.EXPIRED:
        return deposit
    return fail_deposit(deposit_id=deposit.pk, reason=reason or f"{external_id} failed")
