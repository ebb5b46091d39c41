"""What payments registers with the layers below it (PaymentsConfig.ready): they call
these without importing payments."""

from typing import Any

from accounts.models import User
from ledger.models import Account, Asset, Transaction
from payments.demo import seed_payments
from payments.services import approvals, deposits


def deposit_completion(
    *, external_id: str, user: User, asset: Asset, amount: int
) -> Transaction | None:
    """wallets.inbound: a `transaction.completed` topup naming a deposit confirms it."""
    deposit = deposits.claim_completed_topup(
        external_id=external_id, user=user, asset=asset, amount=amount
    )
    return None if deposit is None else deposit.transaction


def deposit_failure(*, external_id: str, reason: str) -> None:
    """wallets.inbound: a `transaction.failed` naming a pending deposit fails it; one
    naming a deposit that succeeded is refused (InvalidState: a dead letter for an operator)."""
    deposits.claim_failed_topup(external_id=external_id, reason=reason)


def staff_posting_gate(
    *, kind: str, account: Account, amount: int, reason: str, requested_by: Any
) -> str | None:
    """ledger.approvals: large adjustments and bonuses wait in the approval queue."""
    waiting = approvals.request_staff_posting(
        kind=kind, account=account, amount=amount, reason=reason, requested_by=requested_by
    )
    if waiting is None:
        return None
    return f"Above the approval threshold: waiting for a second staff member as {waiting}."


def seed_demo_payments(sender: Any, *, users: dict, assets: dict, **kwargs: Any) -> dict:
    """core.demo: `seed_demo` adds the payments demo rows."""
    return seed_payments(users=users, assets=assets)
