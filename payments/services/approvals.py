"""Maker–checker: what needs a second staff member, and their decision.

A request above the asset's threshold (payments/limits.py) waits as a pending
ApprovalRequest; below it, it is approved at once and recorded with
`auto_approved`. Whoever asked (and, for a withdrawal, the wallet's owner) can never
decide it, superusers included: SelfApproval (403). A decision takes a lock on the
request's row, so two staff deciding at once decide once.
"""

from django.db import transaction as db_transaction
from django.utils import timezone

from accounts.models import User
from core.errors import NotFound, PermissionDenied, ValidationError
from ledger import services as ledger
from ledger.models import Account, AccountPurpose, Transaction, TransactionType
from payments.errors import InvalidState, SelfApproval
from payments.limits import needs_approval
from payments.models import ApprovalRequest
from payments.services import withdrawals

DECIDE = "payments.decide_approval"
Kind = ApprovalRequest.Kind
Status = ApprovalRequest.Status


def request_staff_posting(
    *, kind: str, account: Account, amount: int, reason: str, requested_by: User
) -> ApprovalRequest | None:
    """The admin's adjustment and bonus actions ask here first (through
    ledger.approvals): above the threshold the posting waits for approval and the
    request is returned; below it, None, and the caller posts as before."""
    if kind not in (Kind.ADJUSTMENT, Kind.BONUS):
        raise ValueError(f"unknown staff posting {kind!r}")
    if not needs_approval(asset=account.asset, amount=amount):
        return None
    if not reason.strip():
        raise ValidationError("A request for approval needs a reason.")
    return ApprovalRequest.objects.create(
        kind=kind, account=account, amount=amount, reason=reason, requested_by=requested_by
    )


def approve(*, request_id: int, decided_by: User, note: str = "") -> ApprovalRequest:
    """Approve a pending request and carry it out: a withdrawal becomes `approved`; an
    adjustment or bonus is posted (initiated by the requester, approved by `decided_by`).
    Raises SelfApproval, InvalidState when it is no longer pending, PermissionDenied
    without the decide_approval permission."""
    with db_transaction.atomic():
        approval = _lock_pending(request_id, decided_by)
        if approval.kind == Kind.WITHDRAWAL:
            assert approval.withdrawal_id is not None
            withdrawals.mark_approved(withdrawal_id=approval.withdrawal_id)
        else:
            approval.transaction = _post(approval, decided_by)
        _decide(approval, Status.APPROVED, decided_by, note)
    return approval


def reject(*, request_id: int, decided_by: User, reason: str) -> ApprovalRequest:
    """Reject a pending request (reason required): a withdrawal becomes `rejected` and its
    hold is released; an adjustment or bonus is never posted."""
    if not reason or not reason.strip():
        raise ValidationError("A rejection needs a reason.")
    with db_transaction.atomic():
        approval = _lock_pending(request_id, decided_by)
        if approval.kind == Kind.WITHDRAWAL:
            assert approval.withdrawal_id is not None
            withdrawals.mark_rejected(withdrawal_id=approval.withdrawal_id, reason=reason)
        _decide(approval, Status.REJECTED, decided_by, reason)
    return approval


def _lock_pending(request_id: int, decided_by: User) -> ApprovalRequest:
    if not decided_by.has_perm(DECIDE):
        raise PermissionDenied("Deciding requests needs the decide_approval permission.")
    # The withdrawal's row is locked before the request's by every path (cancel too).
    withdrawal_id = (
        ApprovalRequest.objects.filter(pk=request_id)
        .values_list("withdrawal_id", flat=True)
        .first()
    )
    if withdrawal_id is not None:
        withdrawals.lock_withdrawal(withdrawal_id)
    approval = (
        ApprovalRequest.objects.select_for_update(of=("self",))
        .select_related("account__asset", "withdrawal")
        .filter(pk=request_id)
        .first()
    )
    if approval is None:
        raise NotFound("Approval request not found.")
    if decided_by.pk == approval.requested_by_id or (
        approval.withdrawal is not None and decided_by.pk == approval.withdrawal.user_id
    ):
        raise SelfApproval()
    if approval.status != Status.PENDING:
        raise InvalidState(
            f"The request is {approval.status}.", details={"status": approval.status}
        )
    return approval


def _decide(approval: ApprovalRequest, status: str, decided_by: User, reason: str) -> None:
    approval.status = status
    approval.decided_by = decided_by
    approval.decided_at = timezone.now()
    approval.decision_reason = reason[:500]
    approval.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "transaction"]
    )


def _post(approval: ApprovalRequest, decided_by: User) -> Transaction:
    requester = approval.requested_by
    metadata = {"approval_id": approval.pk, "approved_by": decided_by.pk}
    if approval.kind == Kind.ADJUSTMENT:
        return ledger.adjust(
            account=approval.account,
            amount=approval.amount,
            reason=approval.reason,
            initiated_by=requester,
        )
    return ledger.credit(
        account=approval.account,
        amount=approval.amount,
        type=TransactionType.BONUS,
        source=AccountPurpose.BONUS,
        description=approval.reason,
        metadata=metadata,
        idempotency_key=f"approval:{approval.pk}",
        initiated_by=requester,
    )
