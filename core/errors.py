"""Domain errors: each has a stable `code` clients rely on and the HTTP status it maps to."""

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    status = 409
    default_message = "The operation was refused."

    def __init__(self, message: str | None = None, *, details: dict[str, Any] | None = None):
        self.message = message or self.default_message
        self.details = details or {}
        super().__init__(self.message)


class ValidationError(DomainError):
    code = "validation_error"
    status = 400
    default_message = "The request is not valid."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status = 403
    default_message = "You do not have permission to do this."


class InsufficientFunds(DomainError):
    code = "insufficient_funds"
    default_message = "The wallet does not have enough available funds."


class WalletFrozen(DomainError):
    code = "wallet_frozen"
    default_message = "The wallet is frozen."


class AssetNotTransferable(DomainError):
    code = "asset_not_transferable"
    default_message = "This asset cannot be transferred between users."


class LimitReached(DomainError):
    code = "limit_reached"
    default_message = "The limit for this operation has been reached."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    default_message = "This idempotency key was already used for a different request."


class HoldNotPending(DomainError):
    code = "hold_not_pending"
    default_message = "The hold is no longer pending."


class CaptureExceedsHold(DomainError):
    code = "capture_exceeds_hold"
    default_message = "The capture amount exceeds the held amount."


class AlreadyReversed(DomainError):
    code = "already_reversed"
    default_message = "The transaction has already been reversed."
