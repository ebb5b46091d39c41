"""The error codes of money in and out (DESIGN.md, "Money in and out")."""

from core.errors import DomainError


class InvalidState(DomainError):
    code = "invalid_state"
    default_message = "The state machine does not allow this transition."


class ApprovalRequired(DomainError):
    code = "approval_required"
    default_message = "A second staff member must approve this first."


class SelfApproval(DomainError):
    code = "self_approval"
    status = 403
    default_message = "The requester cannot approve their own request."


class RefundExceedsPayment(DomainError):
    code = "refund_exceeds_payment"
    default_message = "The refund would exceed what was paid."
