"""What the payments view modules share (they never import each other): finding a row the
caller may see (else 404, so ids reveal nothing) and checking a staff permission."""

from rest_framework.exceptions import NotFound, PermissionDenied

from accounts import roles
from payments import selectors
from payments.models import Deposit, Payment, Withdrawal
from wallets.api.access import AuthenticatedRequest


def require(request: AuthenticatedRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied()


def visible_deposit(request: AuthenticatedRequest, deposit_id: int) -> Deposit:
    deposit = selectors.get_deposit(deposit_id=deposit_id)
    if deposit is None or not _sees(request, deposit.user_id, roles.VIEW_ANY_WALLET):
        raise NotFound()
    return deposit


def visible_withdrawal(request: AuthenticatedRequest, withdrawal_id: int) -> Withdrawal:
    withdrawal = selectors.get_withdrawal(withdrawal_id=withdrawal_id)
    if withdrawal is None or not (
        _sees(request, withdrawal.user_id, roles.VIEW_ANY_WALLET)
        or request.user.has_perm(roles.MANAGE_WITHDRAWALS)
    ):
        raise NotFound()
    return withdrawal


def visible_payment(request: AuthenticatedRequest, payment_id: int) -> Payment:
    payment = selectors.get_payment(payment_id=payment_id)
    if payment is None or not _sees(request, payment.user_id, roles.VIEW_ANY_PAYMENT):
        raise NotFound()
    return payment


def _sees(request: AuthenticatedRequest, owner_id: int, permission: str) -> bool:
    return owner_id == request.user.pk or request.user.has_perm(permission)
